# Writes the header of a hypothetical later bertc (minor version + 1) in which every struct that
# starts with struct_size gained one appended field, exactly as ABI 1 allows structs to grow.
#   cmake -DIN=include/bertc.h -DOUT=grown/bertc.h -P grow_header.cmake
file(READ "${IN}" text)
string(REGEX MATCH "#define BERTC_VERSION_MINOR ([0-9]+)" _ "${text}")
math(EXPR next "${CMAKE_MATCH_1} + 1")
string(REGEX REPLACE "#define BERTC_VERSION_MINOR [0-9]+" "#define BERTC_VERSION_MINOR ${next}" text "${text}")
set(structs_re "bert_event|bert_[a-z_]+_params|bert_trainer_data|bert_[a-z_]+_result|bert_fill_mask_prediction|bert_trainer_info|bert_limits|bert_classification|bert_tagged_word|bert_tag_group")
string(REGEX MATCHALL "\n} (${structs_re});" found "${text}")
list(LENGTH found n)
if(n LESS 12)
  message(FATAL_ERROR "grow_header: expected at least 12 versioned structs, found ${n}")
endif()
string(REGEX REPLACE "\n} (${structs_re});"
       "\n  uint64_t growth_test_field; /**< appended in the growth test's future version */\n} \\1;" text "${text}")
file(WRITE "${OUT}" "${text}")
