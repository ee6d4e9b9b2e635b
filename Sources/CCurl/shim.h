#ifndef LEANSTATS_CCURL_SHIM_H
#define LEANSTATS_CCURL_SHIM_H
#include <curl/curl.h>

/*
 * Typed wrappers for libcurl's variadic calls, which Swift cannot call directly: one per argument type of
 * `curl_easy_setopt` and `curl_easy_getinfo`, and one per callback type so that a Swift closure converts to
 * `@convention(c)`.
 */

/* The signature of CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION callbacks. */
typedef size_t (*leanstats_curl_data_callback)(char *data, size_t size, size_t count, void *context);

/* curl_easy_setopt for options that take a long (CURLOPTTYPE_LONG). */
static inline CURLcode leanstats_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

/* curl_easy_setopt for options that take a C string (CURLOPTTYPE_STRINGPOINT, CURLOPT_COPYPOSTFIELDS). */
static inline CURLcode leanstats_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/* curl_easy_setopt for options that take an opaque pointer (CURLOPT_WRITEDATA, CURLOPT_ERRORBUFFER, ...). */
static inline CURLcode leanstats_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

/* curl_easy_setopt for options that take a header list (CURLOPT_HTTPHEADER). */
static inline CURLcode leanstats_curl_setopt_list(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

/* curl_easy_setopt for options that take a curl_off_t (CURLOPT_POSTFIELDSIZE_LARGE). */
static inline CURLcode leanstats_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/* curl_easy_setopt for the data callbacks (CURLOPT_WRITEFUNCTION, CURLOPT_HEADERFUNCTION). */
static inline CURLcode leanstats_curl_setopt_data_callback(
    CURL *handle, CURLoption option, leanstats_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

/* curl_easy_getinfo for long results (CURLINFO_RESPONSE_CODE). */
static inline CURLcode leanstats_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

/* curl_easy_getinfo for double results (CURLINFO_TOTAL_TIME). */
static inline CURLcode leanstats_curl_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}

/* The signature of CURLOPT_DEBUGFUNCTION callbacks (the SMTP transcript of `leanstats alert test`). */
typedef int (*leanstats_curl_debug_callback)(CURL *handle, curl_infotype type, char *data, size_t size, void *context);

/* curl_easy_setopt for CURLOPT_DEBUGFUNCTION. */
static inline CURLcode leanstats_curl_setopt_debug_callback(
    CURL *handle, CURLoption option, leanstats_curl_debug_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

#endif
