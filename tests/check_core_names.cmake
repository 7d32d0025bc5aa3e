# Fails when a file under core/ names a vendor (in code or in a comment, in
# any case): core/ reads as an applicant-tracking system, and everything a
# vendor brings lives in its plugin (docs/architecture.md, "Adding a vendor").
# VENDORS is a comma-separated list of names, e.g. -DVENDORS=certn,sterling.
# A name matches anywhere in a word (CertnGateway, kDefaultCertnRequests), so
# it must not be a part of ordinary words ("checkr" would match CheckResult).
cmake_policy(SET CMP0007 NEW)
file(GLOB_RECURSE files ${CORE_DIR}/*)
string(REPLACE "," ";" vendors "${VENDORS}")
set(report "")
foreach(vendor IN LISTS vendors)
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
      string(APPEND report "${f}: ${line}\n")
    endforeach()
  endforeach()
endforeach()
if(report)
  message(FATAL_ERROR "core/ names a vendor (move it into the vendor's plugin):\n${report}")
endif()
list(LENGTH files n)
if(n LESS 10)
  message(FATAL_ERROR "expected core sources under ${CORE_DIR}, found ${n}")
endif()
message(STATUS "core/: ${n} files, no vendor named (${VENDORS})")
