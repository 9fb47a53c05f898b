# Writes OUT, a C file holding every db/migrations/NNN_name.sql in order, so
# pingshend carries its schema and needs no files at run time.
file(GLOB files ${DIR}/*.sql)
list(SORT files)
set(body "")
set(count 0)
foreach(f IN LISTS files)
  get_filename_component(name ${f} NAME_WE)
  file(READ ${f} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND body "static const char m${count}[] = {${bytes}0x00};\n")
  string(APPEND table "\t{\"${name}\", m${count}},\n")
  math(EXPR count "${count} + 1")
endforeach()
file(WRITE ${OUT}
  "/* Generated from db/migrations by embed-migrations.cmake; do not edit. */\n"
  "#include \"migrate_files.h\"\n"
  "${body}"
  "const struct db_migration_file db_migration_files[] = {\n${table}};\n"
  "const int db_migration_files_n = ${count};\n")
