# Fails when a file under core/ names a vendor (in code or in a comment, in
# any case): core/ reads as an applicant-tracking system, and everything a
# vendor brings lives in its plugin (docs/architecture.md, "Adding a vendor").
# VENDORS is a ;-list of names, e.g. -DVENDORS=certn.
file(GLOB_RECURSE files ${CORE_DIR}/*)
set(bad "")
foreach(vendor IN LISTS VENDORS)
  # CMake's regular expressions have no case-insensitive flag: "certn" becomes
  # "[cC][eE][rR][tT][nN]".
  string(LENGTH "${vendor}" n)
  math(EXPR last "${n} - 1")
  set(pattern "")
  foreach(i RANGE ${last})
    string(SUBSTRING "${vendor}" ${i} 1 c)
    string(TOLOWER "${c}" lower)
    string(TOUPPER "${c}" upper)
    string(APPEND pattern "[${lower}${upper}]")
  endforeach()
  foreach(f IN LISTS files)
    file(STRINGS ${f} lines REGEX "${pattern}")
    foreach(line IN LISTS lines)
      list(APPEND bad "${f}: ${line}")
    endforeach()
  endforeach()
endforeach()
if(bad)
  list(JOIN bad "\n" report)
  message(FATAL_ERROR "core/ names a vendor (move it into the vendor's plugin):\n${report}")
endif()
list(LENGTH files n)
if(n LESS 10)
  message(FATAL_ERROR "expected core sources under ${CORE_DIR}, found ${n}")
endif()
message(STATUS "core/: ${n} files, no vendor named (${VENDORS})")
