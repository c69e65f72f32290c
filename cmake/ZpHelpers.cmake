# zp_add_library(NAME SRCS ... DEPS ... PRIVATE_DEPS ...)
#   Builds the static library zp_<NAME> with alias zp::<NAME>. Public headers live in include/zp;
#   the module's own folder is a PRIVATE include path so other modules cannot reach its internals.
function(zp_add_library name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(zp_${name} STATIC ${A_SRCS})
  add_library(zp::${name} ALIAS zp_${name})
  target_include_directories(zp_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include
                                        PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(zp_${name} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS} zp_warnings)
endfunction()

# zp_add_test(NAME SRCS ... DEPS ...)
#   One gtest binary per module (zp_<NAME>_test), registered with CTest test by test.
function(zp_add_test name)
  if(NOT ZP_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(A "" "" "SRCS;DEPS" ${ARGN})
  add_executable(zp_${name}_test ${A_SRCS})
  target_include_directories(zp_${name}_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
                                                     ${PROJECT_SOURCE_DIR})
  target_link_libraries(zp_${name}_test PRIVATE ${A_DEPS} zp_warnings GTest::gmock_main)
  gtest_discover_tests(zp_${name}_test
    PROPERTIES ENVIRONMENT "ZP_SOURCE_DIR=${PROJECT_SOURCE_DIR};ZP_BINARY_DIR=${PROJECT_BINARY_DIR}"
    DISCOVERY_TIMEOUT 60)
endfunction()

# zp_add_fuzzer(NAME SRCS ... DEPS ...)
#   A libFuzzer target when ZP_BUILD_FUZZERS is on (clang only). Without it the same source is
#   built as a replay driver that runs every file of the corpus once, as a regular test.
function(zp_add_fuzzer name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS;CORPUS" ${ARGN})
  if(ZP_BUILD_FUZZERS)
    add_executable(zp_fuzz_${name} ${A_SRCS})
    target_compile_options(zp_fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(zp_fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(zp_fuzz_${name} PRIVATE ${A_DEPS})
  elseif(ZP_BUILD_TESTS)
    add_executable(zp_fuzz_${name}_replay ${A_SRCS} ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
    target_link_libraries(zp_fuzz_${name}_replay PRIVATE ${A_DEPS})
    add_test(NAME fuzz_replay_${name}
             COMMAND zp_fuzz_${name}_replay ${PROJECT_SOURCE_DIR}/${A_CORPUS})
  endif()
endfunction()
