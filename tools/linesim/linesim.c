/*
 * linesim.c: a fax line simulator for faxmail's tests.
 *
 * What: a spandsp T.30 sender (calling party) sends a TIFF to a spandsp T.30 receiver (answering
 * party) over a simulated G.711 line. Every 20 ms block (160 samples at 8 kHz) each side's fax_tx()
 * output goes through G.711 (A-law or u-law encode + decode, optional white noise) into the other
 * side's fax_rx(). Time is simulated (samples / 8000): nothing sleeps, so a fax with 24 s of line
 * time runs in a fraction of a second. Both sides are set up the way Asterisk's res_fax_spandsp sets
 * up SendFAX and ReceiveFAX (ECM, T.4 1-D/2-D/T.6, V.17/V.29/V.27ter, spandsp's other defaults).
 *
 * Inputs: command-line options (see usage()). The received pages go to the -o file, as ReceiveFAX
 * would write them. Fault injection: the receiver hangs up after N seconds or N pages, supports only
 * standard resolution, or nobody answers.
 *
 * Output: one JSON line on stdout describing the call (see print_result()):
 *   {"status":"SUCCESS"|"FAILED","error":"<t30_completion_code_to_str>","code":N,"bit_rate":N,
 *    "resolution":"204x196" (dpi),"resolution_ppm":"8031x7700" (what FAXOPT(resolution) shows),
 *    "ecm":bool,"compression":"T4_1D"|"T4_2D"|"T6"|"NONE","width":N,"length":N,
 *    "local_station_id":"..","remote_station_id":"..","pages":N (received),"pages_sent":N,
 *    "line_time":seconds,"timed_out":bool,"sender":{..same fields..,"pages_sent","pages_in_file"},
 *    "receiver":{..same fields..,"pages","file":bool}|null}
 * The top level is the sender's view (what SendFAX reports), except "pages", which counts pages received.
 *
 * How it fails: exit 0 whenever the simulation ran, even when the fax FAILED; 64 for bad usage, 66 for
 * an unreadable input, 73 when the output cannot be created, 70 when spandsp cannot be set up.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libgen.h>
#include <sys/stat.h>

#include <tiffio.h>
#include <spandsp.h>

#define SAMPLE_RATE 8000
#define BLOCK 160 /* 20 ms, as Asterisk's res_fax_spandsp feeds it */

enum { EX_OK_ = 0, EX_USAGE_ = 64, EX_NOINPUT_ = 66, EX_SOFTWARE_ = 70, EX_CANTCREAT_ = 73 };

typedef struct {
    const char *input;
    const char *output;
    int ecm;
    int compressions;      /* T30_SUPPORT_*_COMPRESSION bits offered by both sides */
    int ulaw;
    const char *sender_ident;
    const char *receiver_ident;
    const char *header;
    double timeout;        /* simulated seconds */
    double hangup_after;   /* simulated seconds, < 0 for never */
    int hangup_after_pages;/* pages received, < 0 for never */
    int standard_only;
    int no_answer;
    int noise;             /* add white noise to both directions */
    double noise_dbm0;
    int verbose;
} options_t;

/* One end of the call: its spandsp state and what its phase E handler saw. */
typedef struct {
    const char *name;
    int present;           /* 0 for a receiver that never answered */
    fax_state_t *fax;
    t30_state_t *t30;
    int done;
    int code;
    t30_stats_t stats;
    char local_ident[T30_MAX_IDENT_LEN + 1];
    char remote_ident[T30_MAX_IDENT_LEN + 1];
} side_t;

static void usage(FILE *f)
{
    fputs("usage: linesim -i input.tif -o output.tif [options]\n"
          "  --ecm | --no-ecm             error correction mode on both sides (default: on)\n"
          "  --compression=t4-1d|t4-2d|t6|all   line compressions both sides offer (default: all)\n"
          "  --alaw | --ulaw              G.711 law on the line (default: alaw)\n"
          "  --sender-ident ID            sender's TSI (up to 20 characters)\n"
          "  --receiver-ident ID          receiver's CSI (up to 20 characters)\n"
          "  --header TEXT                page header the sender prints on each page\n"
          "  --timeout SECONDS            simulated time limit for the call (default: 600)\n"
          "  --hangup-after SECONDS       receiver hangs up after this much simulated time\n"
          "  --hangup-after-pages N       receiver hangs up 2 s after its Nth page arrived\n"
          "  --standard-only              receiver supports only standard resolution (204x98)\n"
          "  --no-answer                  nobody answers: the sender hears silence\n"
          "  --noise DBM0                 white noise on the line at this level (e.g. -50); from about\n"
          "                               -46 dBm0 up the modems take the noise for a carrier\n"
          "  --verbose                    spandsp protocol log on stderr\n", f);
}

/* Print spandsp's log lines on stderr; they carry the side's name as their tag. */
static void log_handler(int level, const char *text)
{
    (void) level;
    fputs(text, stderr);
}

static void set_logging(logging_state_t *log, const char *tag, int verbose)
{
    span_log_set_message_handler(log, log_handler);
    span_log_set_tag(log, tag);
    span_log_set_level(log, SPAN_LOG_SHOW_TAG | SPAN_LOG_SHOW_SEVERITY | SPAN_LOG_SHOW_SAMPLE_TIME
                       | (verbose ? SPAN_LOG_FLOW : SPAN_LOG_WARNING));
}

/* Phase E: the call is over for this side. Keep the statistics as they are now. */
static void phase_e_handler(t30_state_t *t30, void *user_data, int completion_code)
{
    side_t *side = user_data;
    const char *id;

    side->done = 1;
    side->code = completion_code;
    t30_get_transfer_statistics(t30, &side->stats);
    if ((id = t30_get_tx_ident(t30)))
        snprintf(side->local_ident, sizeof(side->local_ident), "%s", id);
    if ((id = t30_get_rx_ident(t30)))
        snprintf(side->remote_ident, sizeof(side->remote_ident), "%s", id);
}

/* Set up one side the way res_fax_spandsp does for SendFAX / ReceiveFAX. */
static int init_side(side_t *side, const char *name, int calling, const options_t *o)
{
    memset(side, 0, sizeof(*side));
    side->name = name;
    side->present = 1;
    side->code = -1;
    if ((side->fax = fax_init(NULL, calling)) == NULL)
        return -1;
    side->t30 = fax_get_t30_state(side->fax);
    set_logging(fax_get_logging_state(side->fax), name, o->verbose);
    set_logging(t30_get_logging_state(side->t30), name, o->verbose);

    const char *ident = calling ? o->sender_ident : o->receiver_ident;
    if (ident && *ident && t30_set_tx_ident(side->t30, ident) < 0)
        return -1;
    if (calling) {
        if (o->header && *o->header && t30_set_tx_page_header_info(side->t30, o->header) < 0)
            return -1;
        t30_set_tx_file(side->t30, o->input, -1, -1);
    } else {
        t30_set_rx_file(side->t30, o->output, -1);
        if (o->standard_only)
            t30_set_supported_resolutions(side->t30, T30_SUPPORT_STANDARD_RESOLUTION);
    }
    t30_set_ecm_capability(side->t30, o->ecm);
    t30_set_supported_compressions(side->t30, o->compressions);
    t30_set_supported_modems(side->t30, T30_SUPPORT_V17 | T30_SUPPORT_V29 | T30_SUPPORT_V27TER);
    t30_set_phase_e_handler(side->t30, phase_e_handler, side);
    fax_set_transmit_on_idle(side->fax, 1);
    return 0;
}

/* Hang up one side's channel: spandsp ends the call (phase E) if it has not ended yet. */
static void hang_up(side_t *side)
{
    if (side->fax && !side->done)
        t30_terminate(side->t30);
}

/* Pass one block through the line: G.711 encode and decode, plus optional noise before encoding. */
static void line(int16_t *amp, int len, int ulaw, awgn_state_t *noise)
{
    for (int i = 0; i < len; i++) {
        int v = amp[i];
        if (noise) {
            v += awgn(noise);
            if (v > 32767) v = 32767;
            if (v < -32768) v = -32768;
        }
        amp[i] = ulaw ? ulaw_to_linear(linear_to_ulaw(v)) : alaw_to_linear(linear_to_alaw(v));
    }
}

/* Advance the clock of one side's log lines (spandsp leaves that to the caller). */
static void bump_log_clock(side_t *side, int len)
{
    if (!side->fax) return;
    span_log_bump_samples(fax_get_logging_state(side->fax), len);
    span_log_bump_samples(t30_get_logging_state(side->t30), len);
}

/* Fill a whole block from one side's transmitter; silence where it has nothing to send. */
static void transmit(side_t *side, int16_t *amp)
{
    int n = side->fax ? fax_tx(side->fax, amp, BLOCK) : 0;
    if (n < 0) n = 0;
    for (int i = n; i < BLOCK; i++) amp[i] = 0;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *) (s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static int ppm_to_dpi(int ppm)
{
    return (int) (ppm * 0.0254 + 0.5);
}

static const char *compression_name(int encoding)
{
    switch (encoding) {
    case T4_COMPRESSION_ITU_T4_1D: return "T4_1D";
    case T4_COMPRESSION_ITU_T4_2D: return "T4_2D";
    case T4_COMPRESSION_ITU_T6: return "T6";
    default: return "NONE";
    }
}

/* Fields that describe one side's view of the call (used at the top level and per side). */
static void print_side_fields(FILE *f, const side_t *side)
{
    const t30_stats_t *st = &side->stats;
    fprintf(f, "\"status\":\"%s\",\"error\":", side->code == T30_ERR_OK ? "SUCCESS" : "FAILED");
    json_string(f, t30_completion_code_to_str(side->code));
    fprintf(f, ",\"code\":%d,\"bit_rate\":%d,\"resolution\":\"%dx%d\",\"resolution_ppm\":\"%dx%d\","
               "\"ecm\":%s,\"compression\":\"%s\",\"width\":%d,\"length\":%d,\"local_station_id\":",
            side->code, st->bit_rate, ppm_to_dpi(st->x_resolution), ppm_to_dpi(st->y_resolution),
            st->x_resolution, st->y_resolution, st->error_correcting_mode ? "true" : "false",
            compression_name(st->encoding), st->width, st->length);
    json_string(f, side->local_ident);
    fputs(",\"remote_station_id\":", f);
    json_string(f, side->remote_ident);
}

/*
 * The result line. Top level: the sender's view (what SendFAX reports), with "pages" taken from the
 * receiver (pages that arrived) and "pages_sent" from the sender. "sender" and "receiver" hold each
 * side's own view; "receiver" is null when nobody answered.
 */
static void print_result(const side_t *tx, const side_t *rx, long samples, const char *output, int timed_out)
{
    struct stat sb;
    int pages_rx = rx->present ? rx->stats.pages_rx : 0;
    FILE *f = stdout;

    fputc('{', f);
    print_side_fields(f, tx);
    fprintf(f, ",\"pages\":%d,\"pages_sent\":%d,\"line_time\":%.2f,\"timed_out\":%s,\"sender\":{",
            pages_rx, tx->stats.pages_tx, (double) samples / SAMPLE_RATE, timed_out ? "true" : "false");
    print_side_fields(f, tx);
    fprintf(f, ",\"pages_sent\":%d,\"pages_in_file\":%d}", tx->stats.pages_tx, tx->stats.pages_in_file);
    fputs(",\"receiver\":", f);
    if (rx->present) {
        fputc('{', f);
        print_side_fields(f, rx);
        fprintf(f, ",\"pages\":%d,\"file\":%s}", pages_rx, stat(output, &sb) == 0 ? "true" : "false");
    } else {
        fputs("null", f);
    }
    fputs("}\n", f);
    fflush(f);
}

static int parse_number(const char *opt, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end) {
        fprintf(stderr, "linesim: %s needs a number, got \"%s\"\n", opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

/* T.30 idents are at most 20 printable ASCII characters. */
static int check_ident(const char *opt, const char *id)
{
    if (strlen(id) > T30_MAX_IDENT_LEN) {
        fprintf(stderr, "linesim: %s is longer than %d characters\n", opt, T30_MAX_IDENT_LEN);
        return -1;
    }
    for (const unsigned char *p = (const unsigned char *) id; *p; p++) {
        if (*p < 0x20 || *p >= 0x7f) {
            fprintf(stderr, "linesim: %s may hold only printable ASCII\n", opt);
            return -1;
        }
    }
    return 0;
}

enum {
    OPT_ECM = 256, OPT_NO_ECM, OPT_COMPRESSION, OPT_ALAW, OPT_ULAW, OPT_SENDER_IDENT, OPT_RECEIVER_IDENT,
    OPT_HEADER, OPT_TIMEOUT, OPT_HANGUP_AFTER, OPT_HANGUP_AFTER_PAGES, OPT_STANDARD_ONLY, OPT_NO_ANSWER,
    OPT_NOISE, OPT_VERBOSE, OPT_HELP
};

static int parse_options(int argc, char **argv, options_t *o)
{
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"ecm", no_argument, NULL, OPT_ECM},
        {"no-ecm", no_argument, NULL, OPT_NO_ECM},
        {"compression", required_argument, NULL, OPT_COMPRESSION},
        {"alaw", no_argument, NULL, OPT_ALAW},
        {"ulaw", no_argument, NULL, OPT_ULAW},
        {"sender-ident", required_argument, NULL, OPT_SENDER_IDENT},
        {"receiver-ident", required_argument, NULL, OPT_RECEIVER_IDENT},
        {"header", required_argument, NULL, OPT_HEADER},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"hangup-after", required_argument, NULL, OPT_HANGUP_AFTER},
        {"hangup-after-pages", required_argument, NULL, OPT_HANGUP_AFTER_PAGES},
        {"standard-only", no_argument, NULL, OPT_STANDARD_ONLY},
        {"no-answer", no_argument, NULL, OPT_NO_ANSWER},
        {"noise", required_argument, NULL, OPT_NOISE},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    double v;
    int c;

    memset(o, 0, sizeof(*o));
    o->ecm = 1;
    o->compressions = T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION | T30_SUPPORT_T6_COMPRESSION;
    o->timeout = 600;
    o->hangup_after = -1;
    o->hangup_after_pages = -1;

    while ((c = getopt_long(argc, argv, "i:o:hv", longopts, NULL)) != -1) {
        switch (c) {
        case 'i': o->input = optarg; break;
        case 'o': o->output = optarg; break;
        case OPT_ECM: o->ecm = 1; break;
        case OPT_NO_ECM: o->ecm = 0; break;
        case OPT_COMPRESSION:
            if (strcmp(optarg, "t4-1d") == 0) o->compressions = T30_SUPPORT_T4_1D_COMPRESSION;
            /* T.4 2-D machines always accept 1-D too (T.30 makes 1-D mandatory). */
            else if (strcmp(optarg, "t4-2d") == 0) o->compressions = T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION;
            else if (strcmp(optarg, "t6") == 0) o->compressions = T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T6_COMPRESSION;
            else if (strcmp(optarg, "all") == 0) o->compressions = T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION | T30_SUPPORT_T6_COMPRESSION;
            else {
                fprintf(stderr, "linesim: --compression must be t4-1d, t4-2d, t6 or all, got \"%s\"\n", optarg);
                return -1;
            }
            break;
        case OPT_ALAW: o->ulaw = 0; break;
        case OPT_ULAW: o->ulaw = 1; break;
        case OPT_SENDER_IDENT:
            if (check_ident("--sender-ident", optarg) < 0) return -1;
            o->sender_ident = optarg;
            break;
        case OPT_RECEIVER_IDENT:
            if (check_ident("--receiver-ident", optarg) < 0) return -1;
            o->receiver_ident = optarg;
            break;
        case OPT_HEADER:
            if (strlen(optarg) > T30_MAX_PAGE_HEADER_INFO) {
                fprintf(stderr, "linesim: --header is longer than %d characters\n", T30_MAX_PAGE_HEADER_INFO);
                return -1;
            }
            o->header = optarg;
            break;
        case OPT_TIMEOUT:
            if (parse_number("--timeout", optarg, &v) < 0) return -1;
            if (v <= 0 || v > 86400) {
                fprintf(stderr, "linesim: --timeout must be between 0 and 86400 seconds\n");
                return -1;
            }
            o->timeout = v;
            break;
        case OPT_HANGUP_AFTER:
            if (parse_number("--hangup-after", optarg, &v) < 0) return -1;
            if (v < 0) {
                fprintf(stderr, "linesim: --hangup-after must not be negative\n");
                return -1;
            }
            o->hangup_after = v;
            break;
        case OPT_HANGUP_AFTER_PAGES:
            if (parse_number("--hangup-after-pages", optarg, &v) < 0) return -1;
            if (v < 0 || v != (int) v) {
                fprintf(stderr, "linesim: --hangup-after-pages must be a whole number of pages\n");
                return -1;
            }
            o->hangup_after_pages = (int) v;
            break;
        case OPT_STANDARD_ONLY: o->standard_only = 1; break;
        case OPT_NO_ANSWER: o->no_answer = 1; break;
        case OPT_NOISE:
            if (parse_number("--noise", optarg, &v) < 0) return -1;
            if (v > 0 || v < -90) {
                fprintf(stderr, "linesim: --noise must be between -90 and 0 dBm0\n");
                return -1;
            }
            o->noise = 1;
            o->noise_dbm0 = v;
            break;
        case OPT_VERBOSE: case 'v': o->verbose = 1; break;
        case OPT_HELP: case 'h': usage(stdout); exit(EX_OK_);
        default: return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "linesim: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    if (!o->input || !o->output) {
        fprintf(stderr, "linesim: -i input.tif and -o output.tif are required\n");
        return -1;
    }
    return 0;
}

/* Refuse an unreadable input and an unwritable output before any simulated call. */
static int check_files(const options_t *o)
{
    char *dir_copy;
    int ok;

    if (access(o->input, R_OK) != 0) {
        fprintf(stderr, "linesim: cannot read %s: %s\n", o->input, strerror(errno));
        return EX_NOINPUT_;
    }
    /* A stale output from an earlier run would pass for pages received now. */
    if (unlink(o->output) != 0 && errno != ENOENT) {
        fprintf(stderr, "linesim: cannot remove old %s: %s\n", o->output, strerror(errno));
        return EX_CANTCREAT_;
    }
    if ((dir_copy = strdup(o->output)) == NULL)
        return EX_SOFTWARE_;
    ok = access(dirname(dir_copy), W_OK | X_OK) == 0;
    free(dir_copy);
    if (!ok) {
        fprintf(stderr, "linesim: cannot create %s: %s\n", o->output, strerror(errno));
        return EX_CANTCREAT_;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options_t o;
    side_t tx, rx;
    int16_t tx_amp[BLOCK], rx_amp[BLOCK];
    awgn_state_t *noise_tx = NULL, *noise_rx = NULL;
    long samples = 0, limit, hangup_at = -1, first_done_at = -1;
    int rc, timed_out = 0;

    if (parse_options(argc, argv, &o) < 0) {
        fputs("linesim: run linesim --help for the options\n", stderr);
        return EX_USAGE_;
    }
    if ((rc = check_files(&o)) != 0)
        return rc;

    /* libtiff would print warnings about odd tags in the input; spandsp reports the errors that matter. */
    TIFFSetWarningHandler(NULL);
    span_set_message_handler(log_handler);

    memset(&rx, 0, sizeof(rx));
    if (init_side(&tx, "sender", 1, &o) < 0 || (!o.no_answer && init_side(&rx, "receiver", 0, &o) < 0)) {
        fprintf(stderr, "linesim: cannot set up spandsp\n");
        return EX_SOFTWARE_;
    }
    if (o.noise) {
        noise_tx = awgn_init_dbm0(NULL, 1234567, (float) o.noise_dbm0);
        noise_rx = awgn_init_dbm0(NULL, 7654321, (float) o.noise_dbm0);
    }

    limit = (long) (o.timeout * SAMPLE_RATE);
    if (o.hangup_after >= 0)
        hangup_at = (long) (o.hangup_after * SAMPLE_RATE);

    /*
     * Both sides start at once (the receiver answers at time 0). When one side ends its call, its
     * channel hangs up one second later, as Asterisk does when SendFAX or ReceiveFAX returns; the
     * other side then sees the hangup if it has not finished by itself.
     */
    while (!(tx.done && (rx.done || !rx.fax))) {
        if (samples >= limit) {
            timed_out = 1;
            hang_up(&tx);
            hang_up(&rx);
            break;
        }
        if (hangup_at >= 0 && samples >= hangup_at) {
            hang_up(&rx);
            hang_up(&tx);
            break;
        }
        if (first_done_at >= 0 && samples >= first_done_at + SAMPLE_RATE) {
            hang_up(&tx);
            hang_up(&rx);
            break;
        }

        transmit(&tx, tx_amp);
        if (rx.fax) transmit(&rx, rx_amp);
        else memset(rx_amp, 0, sizeof(rx_amp));
        line(tx_amp, BLOCK, o.ulaw, noise_tx);
        line(rx_amp, BLOCK, o.ulaw, noise_rx);
        if (rx.fax && !rx.done) fax_rx(rx.fax, tx_amp, BLOCK);
        if (!tx.done) fax_rx(tx.fax, rx_amp, BLOCK);
        samples += BLOCK;
        bump_log_clock(&tx, BLOCK);
        bump_log_clock(&rx, BLOCK);

        if (first_done_at < 0 && (tx.done || rx.done))
            first_done_at = samples;
        if (o.hangup_after_pages >= 0 && hangup_at < 0 && rx.fax && !rx.done) {
            t30_stats_t st;
            t30_get_transfer_statistics(rx.t30, &st);
            /* Two seconds lets the receiver confirm the page (MCF) before it hangs up. */
            if (st.pages_rx >= o.hangup_after_pages)
                hangup_at = samples + 2 * SAMPLE_RATE;
        }
    }

    /* Release both sides first: that closes the received TIFF, so print_result() sees the file. */
    fax_free(tx.fax);
    tx.fax = NULL;
    if (rx.fax) {
        fax_free(rx.fax);
        rx.fax = NULL;
    }
    if (noise_tx) awgn_free(noise_tx);
    if (noise_rx) awgn_free(noise_rx);
    print_result(&tx, &rx, samples, o.output, timed_out);
    return EX_OK_;
}
