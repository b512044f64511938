# Build step: the viewer's page parts (viewer/*.css, *.html, *.js) as C byte arrays in
# one generated source, so `-o out.html` needs no file at run time (the static binary
# included). Run as: cmake -DSRC=<viewer dir> -DOUT=<file.c> -P embed_viewer.cmake
set(parts
  "pa_viewer_css:viewer.css"
  "pa_viewer_body:viewer.html"
  "pa_viewer_js:model.js,layout.js,app.js")
set(text "/* Generated from viewer/ by cmake/embed_viewer.cmake: do not edit. */\n")
foreach(part IN LISTS parts)
  string(REPLACE ":" ";" fields "${part}")
  string(REPLACE "," ";" fields "${fields}")
  list(GET fields 0 symbol)
  list(REMOVE_AT fields 0)
  set(files ${fields})
  set(bytes "")
  foreach(name IN LISTS files)
    file(READ "${SRC}/${name}" hex HEX)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
    string(APPEND bytes "${hex}0x0a,")
  endforeach()
  string(APPEND text "const char ${symbol}[] = {${bytes}0x00};\n")
endforeach()
file(WRITE "${OUT}.tmp" "${text}")
file(RENAME "${OUT}.tmp" "${OUT}")
