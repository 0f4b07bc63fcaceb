# Fails if the binary built from the verify library pulls in absl (the verify
# library must link only OpenSSL, nlohmann-json and the standard library).
execute_process(COMMAND ldd ${LIB} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ldd failed on ${LIB}")
endif()
if(out MATCHES "absl|libprotobuf|libgrpc|libspdlog")
  message(FATAL_ERROR "vouch-verify links more than OpenSSL:\n${out}")
endif()
execute_process(COMMAND nm -C ${LIB} OUTPUT_VARIABLE syms)
if(syms MATCHES "absl::")
  message(FATAL_ERROR "vouch-verify contains absl symbols")
endif()
message(STATUS "vouch-verify dependencies:\n${out}")
