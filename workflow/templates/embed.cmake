# Turns templates/NAME.json into a C file defining the bytes of the JSON text
# (NUL-terminated) and its length, for template.c's table of built-ins.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)"
       "\\1\n" bytes "${bytes}")
file(WRITE ${OUT}
  "/* Generated from templates/${NAME}.json by embed.cmake; do not edit. */\n"
  "#include <stddef.h>\n"
  "const char template_${NAME}_json[] = {\n${bytes}0x00};\n"
  "const size_t template_${NAME}_json_len = ${len};\n")
