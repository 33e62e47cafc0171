// counter_c: the seed's MyApp.Counter in C, written against the bindings
// wit-bindgen's C generator makes from wit/overseer.wit, with no SDK: the
// WIT alone is the contract. The protocol of the Rust `counter`:
// - init args {"initial_value": N}; 0 when absent or null.
// - call "increment" → the new value; "get" → the value; {"add": N} → the
//   new value. Cast "increment".
// - get-state {"value": N}; code-change takes {"value": N} from any build
//   and refuses anything else; terminate logs `terminate: <reason>`.
// JSON is read just enough for this protocol.

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_server.h"

static long long value = 0;

// The payload as a NUL-terminated string without surrounding blanks.
static char *text_of(const overseer_plugin_types_payload_t *payload) {
  size_t start = 0, end = payload->len;
  while (start < end && isspace(payload->ptr[start])) start++;
  while (end > start && isspace(payload->ptr[end - 1])) end--;
  char *text = malloc(end - start + 1);
  memcpy(text, payload->ptr + start, end - start);
  text[end - start] = 0;
  return text;
}

// The integer after `"key"` and a colon in `text`; false if there is none.
static bool number_at(const char *text, const char *key, long long *out) {
  char quoted[64];
  snprintf(quoted, sizeof quoted, "\"%s\"", key);
  const char *at = strstr(text, quoted);
  if (!at) return false;
  at += strlen(quoted);
  while (isspace(*at)) at++;
  if (*at++ != ':') return false;
  while (isspace(*at)) at++;
  char *end;
  long long n = strtoll(at, &end, 10);
  if (end == at) return false;
  *out = n;
  return true;
}

static void payload_of(overseer_plugin_types_payload_t *ret, const char *text) {
  size_t len = strlen(text);
  ret->ptr = malloc(len);
  memcpy(ret->ptr, text, len);
  ret->len = len;
}

static void error_reason(overseer_plugin_types_exit_reason_t *reason, const char *what, const char *text) {
  char line[256];
  snprintf(line, sizeof line, "%s %.200s", what, text);
  reason->tag = OVERSEER_PLUGIN_TYPES_EXIT_REASON_ERROR;
  gen_server_string_dup(&reason->val.error, line);
}

void exports_overseer_plugin_server_vsn(gen_server_string_t *ret) {
  gen_server_string_dup(ret, "1.0.0");
}

void exports_overseer_plugin_server_init(exports_overseer_plugin_server_payload_t *args,
                                         exports_overseer_plugin_server_init_result_t *ret) {
  char *text = text_of(args);
  value = 0;
  number_at(text, "initial_value", &value);
  free(text);
  exports_overseer_plugin_server_payload_free(args);
  ret->tag = OVERSEER_PLUGIN_TYPES_INIT_RESULT_OK;
  ret->val.ok.tag = OVERSEER_PLUGIN_TYPES_TIMEOUT_INFINITY;
}

void exports_overseer_plugin_server_handle_call(exports_overseer_plugin_server_payload_t *request,
                                                exports_overseer_plugin_server_caller_t *from,
                                                exports_overseer_plugin_server_call_result_t *ret) {
  (void)from;
  char *text = text_of(request);
  exports_overseer_plugin_server_payload_free(request);
  long long n;
  if (strcmp(text, "\"increment\"") == 0) {
    value += 1;
  } else if (strcmp(text, "\"get\"") == 0) {
  } else if (text[0] == '{' && number_at(text, "add", &n)) {
    value += n;
  } else {
    ret->tag = OVERSEER_PLUGIN_TYPES_CALL_RESULT_STOP;
    error_reason(&ret->val.stop.f0, "unknown call", text);
    ret->val.stop.f1.is_some = false;
    free(text);
    return;
  }
  free(text);
  char reply[32];
  snprintf(reply, sizeof reply, "%lld", value);
  ret->tag = OVERSEER_PLUGIN_TYPES_CALL_RESULT_REPLY;
  payload_of(&ret->val.reply.f0, reply);
  ret->val.reply.f1.tag = OVERSEER_PLUGIN_TYPES_TIMEOUT_INFINITY;
}

void exports_overseer_plugin_server_handle_cast(exports_overseer_plugin_server_payload_t *msg,
                                                exports_overseer_plugin_server_cast_result_t *ret) {
  char *text = text_of(msg);
  exports_overseer_plugin_server_payload_free(msg);
  if (strcmp(text, "\"increment\"") == 0) {
    value += 1;
    ret->tag = OVERSEER_PLUGIN_TYPES_CAST_RESULT_NOREPLY;
    ret->val.noreply.tag = OVERSEER_PLUGIN_TYPES_TIMEOUT_INFINITY;
  } else {
    ret->tag = OVERSEER_PLUGIN_TYPES_CAST_RESULT_STOP;
    error_reason(&ret->val.stop, "unknown cast", text);
  }
  free(text);
}

void exports_overseer_plugin_server_handle_info(exports_overseer_plugin_server_info_t *msg,
                                                exports_overseer_plugin_server_cast_result_t *ret) {
  exports_overseer_plugin_server_info_free(msg);
  ret->tag = OVERSEER_PLUGIN_TYPES_CAST_RESULT_NOREPLY;
  ret->val.noreply.tag = OVERSEER_PLUGIN_TYPES_TIMEOUT_INFINITY;
}

void exports_overseer_plugin_server_terminate(exports_overseer_plugin_server_exit_reason_t *reason) {
  char line[300];
  switch (reason->tag) {
    case OVERSEER_PLUGIN_TYPES_EXIT_REASON_NORMAL:
      snprintf(line, sizeof line, "terminate: normal");
      break;
    case OVERSEER_PLUGIN_TYPES_EXIT_REASON_SHUTDOWN:
      snprintf(line, sizeof line, "terminate: shutdown");
      break;
    case OVERSEER_PLUGIN_TYPES_EXIT_REASON_SHUTDOWN_WITH:
      snprintf(line, sizeof line, "terminate: shutdown: %.*s", (int)reason->val.shutdown_with.len,
               (const char *)reason->val.shutdown_with.ptr);
      break;
    default:
      snprintf(line, sizeof line, "terminate: %.*s", (int)reason->val.error.len,
               (const char *)reason->val.error.ptr);
  }
  exports_overseer_plugin_server_exit_reason_free(reason);
  gen_server_string_t msg;
  gen_server_string_set(&msg, line);
  overseer_plugin_host_log(OVERSEER_PLUGIN_TYPES_LOG_LEVEL_INFO, &msg);
}

void exports_overseer_plugin_server_get_state(exports_overseer_plugin_server_payload_t *ret) {
  char state[48];
  snprintf(state, sizeof state, "{\"value\":%lld}", value);
  payload_of(ret, state);
}

bool exports_overseer_plugin_server_code_change(exports_overseer_plugin_server_vsn_change_t *from,
                                                exports_overseer_plugin_server_payload_t *old_state,
                                                exports_overseer_plugin_server_payload_t *extra,
                                                gen_server_string_t *err) {
  char *text = text_of(old_state);
  long long n;
  bool ok = text[0] == '{' && number_at(text, "value", &n);
  free(text);
  exports_overseer_plugin_server_vsn_change_free(from);
  exports_overseer_plugin_server_payload_free(old_state);
  exports_overseer_plugin_server_payload_free(extra);
  if (!ok) {
    gen_server_string_dup(err, "counter_c: not a counter's state");
    return false;
  }
  value = n;
  return true;
}

// A counter reads no config: a change is heard and let go.
void exports_overseer_plugin_server_config_change(
    exports_overseer_plugin_server_list_tuple2_string_payload_t *changed,
    gen_server_list_string_t *removed) {
  exports_overseer_plugin_server_list_tuple2_string_payload_free(changed);
  gen_server_list_string_free(removed);
}
