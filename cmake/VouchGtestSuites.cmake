# Script mode (cmake -P), run after a test executable links: lists its gtest suites and writes one
# ctest test per suite, each running the suite's TESTs in one process (vouch_gtest_suites() in
# VouchTargets.cmake says why). Inputs (-D):
#   TEST_TARGET      the executable's target name, the prefix of every ctest name
#   TEST_EXECUTABLE  its path
#   TEST_WORKING_DIR the directory the tests run in
#   TEST_PROPERTIES  extra ctest properties, as a list of name;value pairs
#   TEST_EXCLUDE     suites that are registered some other way (a list)
#   CTEST_FILE       the file to write
cmake_minimum_required(VERSION 3.25)  # IN_LIST, list(POP_FRONT)

foreach(var TEST_TARGET TEST_EXECUTABLE TEST_WORKING_DIR CTEST_FILE)
  if(NOT ${var})
    message(FATAL_ERROR "VouchGtestSuites.cmake: ${var} is not set")
  endif()
endforeach()

execute_process(COMMAND "${TEST_EXECUTABLE}" --gtest_list_tests
                WORKING_DIRECTORY "${TEST_WORKING_DIR}"
                TIMEOUT 60
                OUTPUT_VARIABLE listing
                ERROR_VARIABLE listing_err
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE "${CTEST_FILE}")
  message(FATAL_ERROR "${TEST_EXECUTABLE} --gtest_list_tests failed (${rc}):\n${listing}${listing_err}")
endif()

# The listing: a suite line "Suite.  # comment" at column 0, then its TESTs indented by two spaces.
string(REPLACE ";" "\\;" listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")
set(suites "")
set(suite "")
foreach(line IN LISTS lines)
  if(line MATCHES "^([^ #][^ ]*)\\.( .*)?$")
    set(suite "${CMAKE_MATCH_1}")
    if(suite IN_LIST TEST_EXCLUDE)
      set(suite "")
    else()
      list(APPEND suites "${suite}")
    endif()
  endif()
endforeach()
if(NOT suites AND NOT TEST_EXCLUDE)
  message(FATAL_ERROR "${TEST_EXECUTABLE} lists no gtest suite:\n${listing}")
endif()

set(out "# Written by cmake/VouchGtestSuites.cmake after ${TEST_TARGET} linked.\n")
foreach(suite IN LISTS suites)
  set(name "${TEST_TARGET}:${suite}")
  string(APPEND out
    "add_test([==[${name}]==] [==[${TEST_EXECUTABLE}]==] [==[--gtest_filter=${suite}.*]==])\n"
    "set_tests_properties([==[${name}]==] PROPERTIES WORKING_DIRECTORY [==[${TEST_WORKING_DIR}]==]\n"
    # A suite fails when any TEST fails, or when the filter selects none (a renamed suite). A TEST
    # that skips (a shared data folder absent, say) is listed by gtest in the suite's output.
    "  FAIL_REGULAR_EXPRESSION [==[\\[  FAILED  \\]|\\[==========\\] 0 tests from]==]")
  set(props ${TEST_PROPERTIES})
  while(props)
    list(POP_FRONT props key value)
    string(APPEND out " ${key} [==[${value}]==]")
  endwhile()
  string(APPEND out ")\n")
endforeach()
file(WRITE "${CTEST_FILE}" "${out}")
