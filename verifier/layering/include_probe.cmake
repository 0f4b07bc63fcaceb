# ctest -P script (CMakeLists.txt here): compile `#include "HEADER"` with the
# include path in FLAGS. MUST_COMPILE: it must compile. Otherwise the compiler
# must fail because HEADER is not found (any other error fails the test).
file(READ ${FLAGS} flags)
list(REMOVE_DUPLICATES flags)
list(REMOVE_ITEM flags -I/usr/include)  # a system dir: keep the compiler's order
file(MAKE_DIRECTORY ${WORK})
file(WRITE ${WORK}/probe.cc "#include \"${HEADER}\"\n")
execute_process(
  COMMAND ${CXX} -std=c++20 -fsyntax-only ${flags} ${WORK}/probe.cc
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(MUST_COMPILE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "public header ${HEADER} did not compile:\n${err}")
  endif()
  message(STATUS "public header ${HEADER} compiles")
  return()
endif()
if(rc EQUAL 0)
  message(FATAL_ERROR "private header ${HEADER} is visible outside its module")
endif()
string(FIND "${err}" "${HEADER}: No such file or directory" gcc_missing)
string(FIND "${err}" "'${HEADER}' file not found" clang_missing)
if(gcc_missing EQUAL -1 AND clang_missing EQUAL -1)
  message(FATAL_ERROR "expected '${HEADER}' not found, got:\n${err}")
endif()
message(STATUS "private header ${HEADER}: not found, as it should be")
