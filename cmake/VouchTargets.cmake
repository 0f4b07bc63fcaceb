# Helpers shared by every module. Nothing clever on purpose.
include(GoogleTest)

# Warnings for our own code only; linked PRIVATE into our targets so third-party
# headers and generated code are not held to them.
add_library(vouch_warnings INTERFACE)
target_compile_options(vouch_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror
  $<$<CXX_COMPILER_ID:Clang>:-Wthread-safety>)

# vouch_cc_test(NAME n SRCS a.cc [DEPS ...] [LABELS ...] [ONE_PROCESS_SUITES Suite ...])
# One executable per call; every TEST is registered with ctest. Without LABELS
# a test is labelled `e2e` under tests/e2e/ (it starts real servers) and `unit`
# elsewhere; `ctest -L unit` is what the asan-ubsan preset runs.
# ctest runs each TEST in its own process, so a suite whose SetUpTestSuite does
# the expensive work once (embedding a whole face corpus, say) would do it once
# per TEST. Such a suite is named in ONE_PROCESS_SUITES: it becomes one ctest
# test named after the suite, running all its TESTs in one process (gtest still
# reports each), and it fails when the filter selects no TEST at all. Such suites
# are the expensive ones, so they get a high COST: ctest starts them first.
function(vouch_cc_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS;ONE_PROCESS_SUITES" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  # Tests sit beside the code, so they may include module-private headers.
  target_include_directories(${ARG_NAME} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} vouch::testing
                        GTest::gmock GTest::gtest_main vouch_warnings)
  # The trees' paths are function calls (tests/testing/test_paths.h), not literals, so the
  # object does not depend on the checkout's location and ccache shares it between checkouts.
  target_compile_definitions(${ARG_NAME} PRIVATE
    "VOUCH_SHARED_DIR=::vouch::testing::BuildSharedDir()"
    "VOUCH_SOURCE_DIR=::vouch::testing::BuildSourceDir()"
    "VOUCH_BINARY_DIR=::vouch::testing::BuildBinaryDir()")
  target_compile_options(${ARG_NAME} PRIVATE -include testing/test_paths.h)
  vouch_test_build_options(${ARG_NAME})
  if(NOT ARG_LABELS)
    file(RELATIVE_PATH rel_dir "${PROJECT_SOURCE_DIR}" "${CMAKE_CURRENT_SOURCE_DIR}")
    if(rel_dir MATCHES "^tests/e2e(/|$)")
      set(ARG_LABELS e2e)
    else()
      set(ARG_LABELS unit)
    endif()
  endif()
  set(filter "")
  foreach(suite IN LISTS ARG_ONE_PROCESS_SUITES)
    add_test(NAME ${suite} COMMAND ${ARG_NAME} --gtest_filter=${suite}.*)
    set_tests_properties(${suite} PROPERTIES LABELS "${ARG_LABELS}"
      FAIL_REGULAR_EXPRESSION "\\[  FAILED  \\]|\\[==========\\] 0 tests from"
      COST 60)
    string(APPEND filter ":${suite}.*")
  endforeach()
  if(filter)
    string(SUBSTRING "${filter}" 1 -1 filter)
    set(filter TEST_FILTER "-${filter}")
  endif()
  gtest_discover_tests(${ARG_NAME} ${filter} PROPERTIES LABELS "${ARG_LABELS}"
                       DISCOVERY_TIMEOUT 60)
endfunction()
