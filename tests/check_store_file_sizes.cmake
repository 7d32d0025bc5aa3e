# Fails when a file of the SQL store (adapters/store/sql, sqlite, postgres) is
# over 400 lines: each aggregate's columns, row mapper and statements live in a
# file of their own (adapters/store/sql/unit_of_work.cc lists them), small
# enough to read whole.
set(limit 400)
file(GLOB files LIST_DIRECTORIES false ${STORE_DIR}/sql/* ${STORE_DIR}/sqlite/* ${STORE_DIR}/postgres/*)
set(bad "")
foreach(f IN LISTS files)
  file(READ ${f} text)
  string(REGEX MATCHALL "\n" newlines "${text}")
  list(LENGTH newlines n)
  if(n GREATER limit)
    list(APPEND bad "${f}: ${n} lines")
  endif()
endforeach()
if(bad)
  list(JOIN bad "\n" bad)
  message(FATAL_ERROR "store files over ${limit} lines (split them by aggregate):\n${bad}")
endif()
list(LENGTH files n)
if(n LESS 10)
  message(FATAL_ERROR "expected store sources under ${STORE_DIR}, found ${n}")
endif()
message(STATUS "adapters/store: ${n} files, none over ${limit} lines")
