# Helpers shared by every module. Nothing clever on purpose.
include(GoogleTest)

# Warnings for our own code only; linked PRIVATE into our targets so third-party
# headers and generated code are not held to them.
add_library(vouch_warnings INTERFACE)
target_compile_options(vouch_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror
  $<$<CXX_COMPILER_ID:Clang>:-Wthread-safety>)

# vouch_gtest_suites(<target> [EXCLUDE Suite ...] [PROPERTIES name value ...])
# Registers each gtest suite of <target> as one ctest test named <target>:<Suite>, which runs all
# the suite's TESTs in one process (gtest still reports each). The listing is read after the
# executable links, as gtest_discover_tests does. Why: ctest runs each TEST in a process of its
# own, and starting one of our test executables (gRPC, protobuf, OpenCV, Tesseract, their
# relocations and static initialisers) costs a few hundred milliseconds on a loaded CI run, where
# a unit TEST itself takes a few milliseconds. A suite fails when a TEST fails, and when its
# filter selects no TEST (a renamed suite). PROPERTIES takes single-valued ctest properties
# (LABELS with one label, FIXTURES_REQUIRED, ...). One TEST alone: run the executable with
# --gtest_filter=Suite.Test.
function(vouch_gtest_suites target)
  cmake_parse_arguments(ARG "" "" "EXCLUDE;PROPERTIES" ${ARGN})
  set(base "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites")
  add_custom_command(TARGET ${target} POST_BUILD
    BYPRODUCTS "${base}_tests.cmake"
    COMMAND "${CMAKE_COMMAND}" -D "TEST_TARGET=${target}"
            -D "TEST_EXECUTABLE=$<TARGET_FILE:${target}>"
            -D "TEST_WORKING_DIR=${CMAKE_CURRENT_BINARY_DIR}"
            -D "TEST_PROPERTIES=${ARG_PROPERTIES}"
            -D "TEST_EXCLUDE=${ARG_EXCLUDE}"
            -D "CTEST_FILE=${base}_tests.cmake"
            -P "${PROJECT_SOURCE_DIR}/cmake/VouchGtestSuites.cmake"
    VERBATIM)
  file(WRITE "${base}_include.cmake"
    "if(EXISTS \"${base}_tests.cmake\")\n"
    "  include(\"${base}_tests.cmake\")\n"
    "else()\n"
    "  add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${base}_include.cmake")
endfunction()

# vouch_cc_test(NAME n SRCS a.cc [DEPS ...] [LABELS ...] [PER_TEST] [ONE_PROCESS_SUITES Suite ...])
# One executable per call. Without LABELS a test is labelled `e2e` under tests/e2e/ (it starts
# real servers) and `unit` elsewhere; `ctest -L unit` is what the asan-ubsan preset runs.
# How its TESTs become ctest tests:
# - `unit` executables: one ctest test per gtest suite (vouch_gtest_suites above), unless
#   PER_TEST is given. Measured in session 14 (ctest -L 'unit|postgres' -j 3, all passing both
#   ways, same tree): 1332 tests as one process each used 374 s of CPU; as 217 suites, 229 s.
# - the others (end-to-end, model-backed): one ctest test per TEST (gtest_discover_tests), as
#   their TESTs take seconds each and run in parallel. A suite whose SetUpTestSuite does the
#   expensive work once (embedding a whole face corpus, say) is named in ONE_PROCESS_SUITES: it
#   becomes one ctest test named after the suite, running all its TESTs in one process, and it
#   fails when the filter selects no TEST at all. Such suites are the expensive ones, so they get
#   a high COST: ctest starts them first.
function(vouch_cc_test)
  cmake_parse_arguments(ARG "PER_TEST" "NAME" "SRCS;DEPS;LABELS;ONE_PROCESS_SUITES" ${ARGN})
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
  if(ARG_LABELS STREQUAL "unit" AND NOT ARG_PER_TEST)
    vouch_gtest_suites(${ARG_NAME} EXCLUDE ${ARG_ONE_PROCESS_SUITES} PROPERTIES LABELS unit)
    return()
  endif()
  if(filter)
    string(SUBSTRING "${filter}" 1 -1 filter)
    set(filter TEST_FILTER "-${filter}")
  endif()
  gtest_discover_tests(${ARG_NAME} ${filter} PROPERTIES LABELS "${ARG_LABELS}"
                       DISCOVERY_TIMEOUT 60)
endfunction()
