# Per-target compile settings, applied with bertc_target_defaults(<target>) so nothing leaks into a
# parent project that vendors bertc.
set(BERTC_WARNING_FLAGS -Wall -Wextra -Wpedantic -Wshadow=local -Wno-unused-parameter)

function(bertc_target_defaults target)
  set_target_properties(${target} PROPERTIES
    CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF
    C_STANDARD 11 C_STANDARD_REQUIRED ON
    POSITION_INDEPENDENT_CODE ON
    C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:${BERTC_WARNING_FLAGS}>
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic>)
  if(BERTC_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(BERTC_TSAN)
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC $<BUILD_INTERFACE:-fsanitize=thread>)
  endif()
  if(BERTC_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PUBLIC $<BUILD_INTERFACE:-fsanitize=address,undefined>)
  endif()
endfunction()

# bertc_add_stage(<stage> SOURCES <files...> DEPS <targets...>)
# Defines the OBJECT library bertc_<stage> for one core stage (src/<stage>/). DEPS are linked
# PUBLIC so that tests linking the stage get its include paths and libraries.
function(bertc_add_stage stage)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(bertc_${stage} OBJECT ${ARG_SOURCES})
  bertc_target_defaults(bertc_${stage})
  target_compile_definitions(bertc_${stage} PRIVATE BERTC_BUILDING_LIBRARY)
  target_link_libraries(bertc_${stage} PUBLIC bertc_base ${ARG_DEPS})
endfunction()
