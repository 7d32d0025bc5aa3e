# Adds every direct or second-level subfolder of the current folder that has a
# CMakeLists.txt, so that a new adapter, plugin or test folder needs no edit of
# a central list (and parallel work does not collide on one file).
function(stagecheck_add_subdirs)
  file(GLOB _lists RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}
       ${CMAKE_CURRENT_SOURCE_DIR}/*/CMakeLists.txt ${CMAKE_CURRENT_SOURCE_DIR}/*/*/CMakeLists.txt)
  list(SORT _lists)
  foreach(_list IN LISTS _lists)
    get_filename_component(_dir ${_list} DIRECTORY)
    # A folder whose parent has its own CMakeLists.txt is added by that parent.
    get_filename_component(_parent ${_dir} DIRECTORY)
    if(_parent AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${_parent}/CMakeLists.txt)
      continue()
    endif()
    # A developer may build a subset of the test folders (regex), e.g. while
    # another folder is half-written: -DSTAGECHECK_TEST_DIRS="unit/.*".
    if(STAGECHECK_TEST_DIRS AND CMAKE_CURRENT_SOURCE_DIR STREQUAL "${CMAKE_SOURCE_DIR}/tests"
       AND NOT _dir MATCHES "^(${STAGECHECK_TEST_DIRS})$")
      continue()
    endif()
    add_subdirectory(${_dir})
  endforeach()
endfunction()

# The test binaries reuse the precompiled header tests/CMakeLists.txt defines
# (stagecheck_test_pch), where the tests directory was configured.
function(stagecheck_use_test_pch target)
  if(TARGET stagecheck_test_pch)
    target_precompile_headers(${target} REUSE_FROM stagecheck_test_pch)
  endif()
endfunction()

# stagecheck_test(NAME <target> AREA <core|sqlite|...> SOURCES ... LIBS ... [LABELS ...])
# Builds a GoogleTest binary and registers each test as "<area>.<Suite>.<Test>".
include(GoogleTest)
function(stagecheck_test)
  cmake_parse_arguments(T "" "NAME;AREA;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  # LABELS unit marks fast, self-contained tests: the asan preset runs those.
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  target_compile_definitions(${T_NAME} PRIVATE
    STAGECHECK_BUILD_DIR="${CMAKE_BINARY_DIR}" STAGECHECK_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  stagecheck_use_test_pch(${T_NAME})
  # gtest_discover_tests splits list-valued PROPERTIES, so labels go on the
  # directory (one area per test folder) and each property stays single-valued.
  set_property(DIRECTORY APPEND PROPERTY LABELS ${T_AREA} ${T_LABELS})
  get_directory_property(_dir_labels LABELS)
  if("unit" IN_LIST T_LABELS OR "unit" IN_LIST _dir_labels)
    # The asan preset builds only these (target `unit_tests`).
    set_property(GLOBAL APPEND PROPERTY STAGECHECK_UNIT_TEST_TARGETS ${T_NAME})
  endif()
  gtest_discover_tests(${T_NAME}
    TEST_PREFIX "${T_AREA}."
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${T_TIMEOUT} ENVIRONMENT "STAGECHECK_BUILD_DIR=${CMAKE_BINARY_DIR}")
endfunction()
