# Build speed. The test command builds the whole tree from scratch on a 2-core CI machine, where
# debug information and the linker are most of the cost that is not compiling:
# - VOUCH_DEBUG_INFO=lines (the default) compiles RelWithDebInfo/Debug with -g1: backtraces and
#   sanitizer reports keep function names, files and lines, but not local variables. Measured on
#   attest's signer_test.cc: 15.0 s of CPU instead of 22.5 s with -g, a 4 MB object instead of
#   15 MB. VOUCH_DEBUG_INFO=full keeps -g for a debugger session.
# - mold links when it is installed (deploy/install-deps.sh installs it); VOUCH_USE_MOLD=OFF
#   keeps the system linker.
set(VOUCH_DEBUG_INFO "lines" CACHE STRING
    "Debug information in RelWithDebInfo and Debug builds: lines (-g1) or full (-g)")
set_property(CACHE VOUCH_DEBUG_INFO PROPERTY STRINGS lines full)
if(VOUCH_DEBUG_INFO STREQUAL "lines")
  add_compile_options($<$<CONFIG:RelWithDebInfo,Debug>:-g1>)
elseif(NOT VOUCH_DEBUG_INFO STREQUAL "full")
  message(FATAL_ERROR "VOUCH_DEBUG_INFO must be lines or full, not '${VOUCH_DEBUG_INFO}'")
endif()

option(VOUCH_USE_MOLD "Link with mold when it is installed" ON)
find_program(VOUCH_MOLD_LINKER mold)
if(VOUCH_USE_MOLD AND VOUCH_MOLD_LINKER)
  add_link_options(-fuse-ld=mold)
  message(STATUS "vouch: linking with ${VOUCH_MOLD_LINKER}")
endif()

# Test sources compile without optimisation (VOUCH_TEST_OPTIMIZE, default -O0): the work a test
# measures runs in our libraries, which keep the build type's -O2, while a test's own translation
# unit is gtest macros and fixtures, where the optimiser is most of the compile time. Measured on
# verification_pipeline_test.cc: 21.8 s of CPU at -O2, 17.4 s at -O1, 12.4 s at -O0. Test
# executables call vouch_test_build_options(); VOUCH_TEST_OPTIMIZE="" keeps the build type's flags.
set(VOUCH_TEST_OPTIMIZE "-O0" CACHE STRING
    "Optimisation flag for test translation units (empty: the build type's)")
function(vouch_test_build_options target)
  if(VOUCH_TEST_OPTIMIZE)
    target_compile_options(${target} PRIVATE ${VOUCH_TEST_OPTIMIZE})
  endif()
endfunction()

# Unity builds (VOUCH_UNITY_BUILD, default OFF; deploy/test.sh and deploy/demo.sh turn it on for
# their from-scratch builds): each target's sources are compiled in batches of
# VOUCH_UNITY_BATCH_SIZE, so the gRPC, protobuf, gtest and OpenCV headers are parsed, and their
# inline functions compiled, once per batch instead of once per file. Measured on five vouchctl
# sources: 41.6 s of CPU one by one, 15.8 s as one batch. Off for day-to-day work, where ccache and
# one-file rebuilds matter more; the clang-tsa build of .ci/run-extended compiles file by file, so
# a file that only compiles in a batch (a missing include) is still caught before landing. A file
# that cannot share a batch sets SKIP_UNITY_BUILD_INCLUSION.
option(VOUCH_UNITY_BUILD "Compile each target's sources in batches (faster from-scratch builds)" OFF)
set(VOUCH_UNITY_BATCH_SIZE 16 CACHE STRING "Sources per unity batch when VOUCH_UNITY_BUILD is ON")
if(VOUCH_UNITY_BUILD)
  set(CMAKE_UNITY_BUILD ON)
  set(CMAKE_UNITY_BUILD_BATCH_SIZE ${VOUCH_UNITY_BATCH_SIZE})
  message(STATUS "vouch: unity build, batches of ${VOUCH_UNITY_BATCH_SIZE}")
endif()
# Precompiled headers were tried on top of unity batches (session 14): one header of gtest, gmock,
# gRPC, protobuf, Abseil and nlohmann/json for every test saved 4 % of the CPU of six test batches
# (74 s to 71 s). Most of a test batch's time is instantiating and emitting code, not parsing, so
# they were not worth one set of flags for every test.

# One test executable per module (and one per end-to-end label), not one per test file: each
# executable's batch compiles gtest, gmock, gRPC and protobuf code again and links against the
# same large libraries, which is most of a test batch's CPU. Measured on verifier/pipeline's
# tests (session 15, ccache off, user CPU): eight executables 86 s, one executable in two
# batches 35 s. The gtest suites still become one ctest test each (vouch_gtest_suites), so the
# ctest names are `<executable>:<Suite>`. Files merged into one executable must not share
# file-local names in a batch; shared test helpers go in tests/testing/.

# Benchmarks and measuring tools (VOUCH_BUILD_BENCHMARKS, default ON): vouch_ocr_bench,
# bench_checks, the Google Benchmark binaries, vouchd_loadbench and the model-training tools. No
# ctest test runs them, so deploy/test.sh builds without them (about 160 s of CPU of its build,
# session 13's CI log), while deploy/bench.sh builds the one it runs and .ci/run-extended's
# clang-tsa build compiles them all before each landing. OFF leaves them out of `all`; they still
# build by name (--target).
option(VOUCH_BUILD_BENCHMARKS "Build the benchmarks and measuring tools with the default target" ON)
function(vouch_bench_tool target)
  if(NOT VOUCH_BUILD_BENCHMARKS)
    set_target_properties(${target} PROPERTIES EXCLUDE_FROM_ALL ON)
  endif()
endfunction()
