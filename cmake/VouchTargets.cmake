# Helpers shared by every module. Nothing clever on purpose.
include(GoogleTest)

# Warnings for our own code only; linked PRIVATE into our targets so third-party
# headers and generated code are not held to them.
add_library(vouch_warnings INTERFACE)
target_compile_options(vouch_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror
  $<$<CXX_COMPILER_ID:Clang>:-Wthread-safety>)

# vouch_cc_test(NAME n SRCS a.cc [DEPS ...] [LABELS ...])
# One executable per call; every TEST is registered with ctest. Without LABELS
# a test is labelled `e2e` under tests/e2e/ (it starts real servers) and `unit`
# elsewhere; `ctest -L unit` is what the asan-ubsan preset runs.
function(vouch_cc_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  # Tests sit beside the code, so they may include module-private headers.
  target_include_directories(${ARG_NAME} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} vouch::testing
                        GTest::gmock GTest::gtest_main vouch_warnings)
  target_compile_definitions(${ARG_NAME} PRIVATE
    VOUCH_SHARED_DIR="${VOUCH_SHARED_DIR}"
    VOUCH_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    VOUCH_BINARY_DIR="${CMAKE_BINARY_DIR}")
  if(NOT ARG_LABELS)
    file(RELATIVE_PATH rel_dir "${PROJECT_SOURCE_DIR}" "${CMAKE_CURRENT_SOURCE_DIR}")
    if(rel_dir MATCHES "^tests/e2e(/|$)")
      set(ARG_LABELS e2e)
    else()
      set(ARG_LABELS unit)
    endif()
  endif()
  gtest_discover_tests(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}"
                       DISCOVERY_TIMEOUT 60)
endfunction()
