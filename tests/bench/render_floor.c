/*
 * The cheapest video player there can be: it shows a WIDTHxHEIGHT YUV
 * 4:2:0 picture FPS times a second for SECONDS through SDL and decodes
 * nothing. tests/bench/run.py measures its CPU time and peak memory as the
 * floor of the video driver and SDL renderer in use: what any player pays
 * only to put its frames on the screen. On a machine without a GPU the
 * renderer draws on the CPU, and this floor is most of a player's cost.
 *
 *     render_floor WIDTH HEIGHT FPS SECONDS
 *
 * Like ffplay and lianbo it uploads each frame into a streaming IYUV
 * texture, clears, copies the texture over the whole window and presents.
 * Prints the number of frames presented. Exits 0, or 1 with a message.
 */
#include <SDL.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct picture {
    Uint8 *planes[3];
    int pitch[3];
};

static bool parse_int(const char *text, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

/* Two different pictures shown in turn: every upload carries new pixels,
 * as a video's do, and making them costs nothing per frame. */
static bool picture_init(struct picture *p, int w, int h, Uint8 shade)
{
    int cw = (w + 1) / 2, ch = (h + 1) / 2;
    p->pitch[0] = w;
    p->pitch[1] = p->pitch[2] = cw;
    p->planes[0] = malloc((size_t)w * h);
    p->planes[1] = malloc((size_t)cw * ch);
    p->planes[2] = malloc((size_t)cw * ch);
    if (!p->planes[0] || !p->planes[1] || !p->planes[2])
        return false;
    for (int y = 0; y < h; y++)
        memset(p->planes[0] + (size_t)y * w, (Uint8)(shade + y), (size_t)w);
    memset(p->planes[1], 128 - shade / 4, (size_t)cw * ch);
    memset(p->planes[2], 128 + shade / 4, (size_t)cw * ch);
    return true;
}

static void picture_finish(struct picture *p)
{
    for (int i = 0; i < 3; i++)
        free(p->planes[i]);
}

static bool draw(SDL_Renderer *r, SDL_Texture *tex, const struct picture *p)
{
    if (SDL_UpdateYUVTexture(tex, NULL, p->planes[0], p->pitch[0], p->planes[1],
                             p->pitch[1], p->planes[2], p->pitch[2]) != 0)
        return false;
    SDL_SetRenderDrawColor(r, 0, 0, 0, 255);
    SDL_RenderClear(r);
    if (SDL_RenderCopy(r, tex, NULL, NULL) != 0)
        return false;
    SDL_RenderPresent(r);
    return true;
}

/* Draws until SECONDS have passed, each frame at its time; a late frame
 * is drawn at once and the next keeps to the schedule. */
static long play(SDL_Renderer *r, SDL_Texture *tex, const struct picture pics[2], int fps,
                 int seconds)
{
    Uint64 start = SDL_GetTicks64();
    long frames = (long)fps * seconds;
    for (long n = 0; n < frames; n++) {
        Uint64 due = start + (Uint64)(n * 1000 / fps);
        Uint64 now = SDL_GetTicks64();
        if (due > now)
            SDL_Delay((Uint32)(due - now));
        SDL_Event ev;
        while (SDL_PollEvent(&ev)) {
            if (ev.type == SDL_QUIT)
                return n;
        }
        if (!draw(r, tex, &pics[n % 2])) {
            fprintf(stderr, "render_floor: drawing frame %ld failed: %s\n", n, SDL_GetError());
            return -1;
        }
    }
    return frames;
}

int main(int argc, char **argv)
{
    int w, h, fps, seconds;
    if (argc != 5 || !parse_int(argv[1], 16, 16384, &w) || !parse_int(argv[2], 16, 16384, &h) ||
        !parse_int(argv[3], 1, 240, &fps) || !parse_int(argv[4], 1, 3600, &seconds)) {
        fprintf(stderr, "usage: render_floor WIDTH HEIGHT FPS SECONDS\n");
        return 1;
    }

    int status = 1;
    struct picture pics[2] = {0};
    SDL_Window *win = NULL;
    SDL_Renderer *r = NULL;
    SDL_Texture *tex = NULL;
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "render_floor: cannot start SDL video: %s\n", SDL_GetError());
        return 1;
    }
    if (!picture_init(&pics[0], w, h, 16) || !picture_init(&pics[1], w, h, 96)) {
        fprintf(stderr, "render_floor: out of memory for two %dx%d pictures\n", w, h);
        goto out;
    }
    win = SDL_CreateWindow("render_floor", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                           w, h, SDL_WINDOW_SHOWN);
    if (!win) {
        fprintf(stderr, "render_floor: cannot open a %dx%d window: %s\n", w, h, SDL_GetError());
        goto out;
    }
    /* The flags both players ask for: a GPU renderer when there is one,
     * presenting in step with the display. */
    r = SDL_CreateRenderer(win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
    if (!r)
        r = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    if (!r) {
        fprintf(stderr, "render_floor: cannot create a renderer: %s\n", SDL_GetError());
        goto out;
    }
    tex = SDL_CreateTexture(r, SDL_PIXELFORMAT_IYUV, SDL_TEXTUREACCESS_STREAMING, w, h);
    if (!tex) {
        fprintf(stderr, "render_floor: cannot create a %dx%d IYUV texture: %s\n", w, h,
                SDL_GetError());
        goto out;
    }
    SDL_SetTextureBlendMode(tex, SDL_BLENDMODE_NONE);

    SDL_RendererInfo info;
    SDL_GetRendererInfo(r, &info);
    long frames = play(r, tex, pics, fps, seconds);
    if (frames >= 0) {
        printf("renderer %s, frames %ld\n", info.name, frames);
        status = 0;
    }

out:
    if (tex)
        SDL_DestroyTexture(tex);
    if (r)
        SDL_DestroyRenderer(r);
    if (win)
        SDL_DestroyWindow(win);
    picture_finish(&pics[0]);
    picture_finish(&pics[1]);
    SDL_Quit();
    return status;
}
