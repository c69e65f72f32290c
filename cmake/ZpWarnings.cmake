add_library(zp_warnings INTERFACE)
target_compile_options(zp_warnings INTERFACE -Wall -Wextra -Wno-unused-parameter
                                             -Wno-missing-field-initializers)
if(ZP_WERROR)
  target_compile_options(zp_warnings INTERFACE -Werror)
endif()
