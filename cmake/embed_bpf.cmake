# Turns a BPF C file into a C source holding its text, so the installed binary
# needs no source tree at run time. Quoted includes of headers that sit beside
# the BPF file are inlined, because libbcc compiles the text from memory and
# cannot find them on disk; system includes are left for libbcc to resolve.
#
# Inputs: INPUT (the .bpf.c file), OUTPUT (the .c file to write), SYMBOL (the
# name of the char array).

get_filename_component(source_dir "${INPUT}" DIRECTORY)
file(READ "${INPUT}" text)

# Headers include headers: inline until none is left. Each header's include
# guard keeps a second copy inert; the bound stops an include cycle.
foreach(level RANGE 8)
  string(REGEX MATCHALL "#include \"[A-Za-z0-9_./-]+\\.h\"" local_includes "${text}")
  if(NOT local_includes)
    break()
  endif()
  list(REMOVE_DUPLICATES local_includes)
  foreach(directive IN LISTS local_includes)
    string(REGEX REPLACE "#include \"([^\"]+)\"" "\\1" header "${directive}")
    file(READ "${source_dir}/${header}" header_text)
    string(REPLACE "${directive}" "${header_text}" text "${text}")
  endforeach()
endforeach()
if(local_includes)
  message(FATAL_ERROR "${INPUT}: headers still included after 8 levels: ${local_includes}")
endif()

# Hex bytes avoid every question of escaping quotes, backslashes and trigraphs.
string(HEX "${text}" hex)
string(LENGTH "${text}" text_length)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n" bytes "${bytes}")

file(WRITE "${OUTPUT}.tmp"
  "/* Generated from ${INPUT} by cmake/embed_bpf.cmake: do not edit. */\n"
  "#include <stddef.h>\n"
  "const char ${SYMBOL}[] = {\n${bytes}0x00 };\n"
  "const size_t ${SYMBOL}_length = ${text_length};\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
