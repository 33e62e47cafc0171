// otherworld_js: a test fixture, a JavaScript component of another world
// (it exports `hello`, not the GenServer callbacks). The host refuses it at
// load.

export function hello() {
  return "hello";
}
