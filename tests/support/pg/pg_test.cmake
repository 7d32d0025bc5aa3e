# stagecheck_pg_test(NAME <target> AREA <area> SOURCES ... LIBS ... [TIMEOUT s] [COST s])
# stagecheck_test() for tests that need the throwaway PostgreSQL: every test
# requires the `postgres` fixture (tests/support/pg/CMakeLists.txt starts and
# stops the server) and reads its URL through tests/support/pg/pg_test_support.h.
# Tests are labelled "postgres" (and <area>, via the directory). COST: the
# seconds each test is expected to take, so that `ctest -j` starts a long one
# first even on a fresh checkout, before it has recorded any timings; started
# last, a five-minute test would run alone at the end of the suite.
#
# Every property value below is a single word on purpose: gtest_discover_tests
# splits list values (a "a;b" label list would pair up the wrong keys).
include(GoogleTest)
function(stagecheck_pg_test)
  cmake_parse_arguments(T "" "NAME;AREA;TIMEOUT;COST" "SOURCES;LIBS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} stagecheck_test_pg_support
    GTest::gtest GTest::gmock GTest::gtest_main)
  stagecheck_use_test_pch(${T_NAME})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set(_cost)
  if(T_COST)
    set(_cost COST ${T_COST})
  endif()
  if(NOT T_AREA STREQUAL "postgres")
    set_property(DIRECTORY APPEND PROPERTY LABELS ${T_AREA})
  endif()
  gtest_discover_tests(${T_NAME}
    TEST_PREFIX "${T_AREA}."
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS postgres FIXTURES_REQUIRED postgres ${_cost}
      ENVIRONMENT "STAGECHECK_BUILD_DIR=${CMAKE_BINARY_DIR}")
endfunction()
