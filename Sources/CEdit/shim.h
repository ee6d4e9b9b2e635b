#ifndef LEANSTATS_CEDIT_SHIM_H
#define LEANSTATS_CEDIT_SHIM_H
#include <histedit.h>

/*
 * libedit configures an editor and a history through the variadic el_set/el_get and history_w, which Swift
 * cannot call. Each helper below wraps exactly one such call with fixed argument types; everything else
 * (el_init, el_wgets, el_wline, el_winsertstr, el_deletestr, el_end, history_winit, history_wend) Swift calls
 * directly.
 */

/// The prompt callback of `EL_PROMPT`.
typedef char *(*leanstats_el_prompt_t)(EditLine *);
/// An editor command added with `EL_ADDFN`; it returns one of the `CC_*` codes.
typedef unsigned char (*leanstats_el_command_t)(EditLine *, int);

/// `el_set(el, EL_PROMPT, prompt)`.
static inline int leanstats_el_set_prompt(EditLine *el, leanstats_el_prompt_t prompt) {
    return el_set(el, EL_PROMPT, prompt);
}

/// `el_set(el, EL_EDITOR, mode)`: "emacs" or "vi".
static inline int leanstats_el_set_editor(EditLine *el, const char *mode) {
    return el_set(el, EL_EDITOR, mode);
}

/// `el_set(el, EL_SIGNAL, on)`: whether libedit restores the terminal around signals it receives while reading.
static inline int leanstats_el_set_signal(EditLine *el, int on) {
    return el_set(el, EL_SIGNAL, on);
}

/// `el_wset(el, EL_HIST, history_w, history)`: the wide-character history that the arrow keys walk.
static inline int leanstats_el_set_history(EditLine *el, HistoryW *history) {
    return el_wset(el, EL_HIST, history_w, history);
}

/// `el_set(el, EL_CLIENTDATA, data)`: an opaque pointer handed back to callbacks through `leanstats_el_client_data`.
static inline int leanstats_el_set_client_data(EditLine *el, void *data) {
    return el_set(el, EL_CLIENTDATA, data);
}

/// `el_get(el, EL_CLIENTDATA, &data)`; NULL when none was set.
static inline void *leanstats_el_client_data(EditLine *el) {
    void *data = NULL;
    if (el_get(el, EL_CLIENTDATA, &data) != 0) return NULL;
    return data;
}

/// `el_set(el, EL_ADDFN, name, help, command)`: makes `command` bindable under `name`.
static inline int leanstats_el_add_command(EditLine *el, const char *name, const char *help,
                                           leanstats_el_command_t command) {
    return el_set(el, EL_ADDFN, name, help, command);
}

/// `el_set(el, EL_BIND, key, command, NULL)`: binds a key sequence such as "^I" to a named command.
static inline int leanstats_el_bind(EditLine *el, const char *key, const char *command) {
    return el_set(el, EL_BIND, key, command, NULL);
}

/// `el_set(el, EL_SETTY, "-d", mode, NULL)`: fixes a tty mode while a line is edited, e.g. "-isig" so that Ctrl-C
/// reaches the editor as a key instead of raising SIGINT.
static inline int leanstats_el_set_edit_tty_mode(EditLine *el, const char *mode) {
    return el_set(el, EL_SETTY, "-d", mode, NULL);
}

/// `history_w(history, &event, H_SETSIZE, size)`: keep at most `size` entries.
static inline int leanstats_history_set_size(HistoryW *history, int size) {
    HistEventW event;
    return history_w(history, &event, H_SETSIZE, size);
}

/// `history_w(history, &event, H_SETUNIQUE, on)`: drop an entry equal to the one before it.
static inline int leanstats_history_set_unique(HistoryW *history, int on) {
    HistEventW event;
    return history_w(history, &event, H_SETUNIQUE, on);
}

/// `history_w(history, &event, H_ENTER, line)`: append an entry.
static inline int leanstats_history_enter(HistoryW *history, const wchar_t *line) {
    HistEventW event;
    return history_w(history, &event, H_ENTER, line);
}

#endif
