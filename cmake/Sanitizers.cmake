# VOUCH_SANITIZE: sanitizers for every target configured in this build tree
# (our libraries, tests, tools and the generated protobuf/gRPC code), e.g.
# "address;undefined" (the asan-ubsan preset). System libraries (OpenCV,
# Tesseract, gRPC, ...) are not instrumented. Any finding aborts the process,
# so a sanitizer report fails its test.
set(VOUCH_SANITIZE "" CACHE STRING
    "Sanitizers for every target of this build, as a list (address;undefined)")

if(VOUCH_SANITIZE)
  if(VOUCH_FUZZ)
    message(FATAL_ERROR "VOUCH_SANITIZE: the fuzz build sets its own sanitizers (deploy/fuzz.sh)")
  endif()
  list(JOIN VOUCH_SANITIZE "," vouch_sanitizers)
  add_compile_options(-fsanitize=${vouch_sanitizers} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${vouch_sanitizers})
  message(STATUS "vouch: sanitizers ${vouch_sanitizers}")
endif()
