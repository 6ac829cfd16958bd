#!/bin/bash
# Regenerates the demo's pictures and its short welcome clip in
# packaging/data/demo/media/.
#
# The pictures are drawn, not photographed, so the repository carries no
# third-party photos and anyone can rebuild them. ImageMagick's plasma is
# seeded and the JPEGs are stripped of metadata, so the same ImageMagick
# version gives byte-identical files. manifest.json is written by hand and
# is not touched here.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out="$here/demo/media"

# Pictures are 4:3 and a little larger than the upper zone of a 1080x1920
# portrait screen (1080x960), so "fill" crops only the edges.
W=1280
H=960
QUALITY=82   # JPEG quality: each picture stays under 100 kB with no visible blocks

# fc-list, not fc-match: fc-match would quietly hand back a Latin font, and
# the captions would come out as empty boxes.
font=$(fc-list 'WenQuanYi Micro Hei' file 2>/dev/null | head -n 1 | sed 's/:[^:]*$//')
if [ -z "$font" ] || [ ! -e "$font" ]; then
    echo "make-demo.sh: the WenQuanYi Micro Hei font is missing" \
         "(apt-get install fonts-wqy-microhei)" >&2
    exit 1
fi

mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A caption band along the bottom: Chinese name above, English below.
# Centred, because "fill" crops the sides on screens narrower than 4:3
# (a 1080x960 zone loses 100 pixels of the picture's width on each side).
caption() {
    local file=$1 zh=$2 en=$3
    convert "$file" \
        -fill '#00000070' -draw "rectangle 0,$((H - 170)) $W,$H" \
        -font "$font" -fill white -gravity South \
        -pointsize 58 -annotate +0+78 "$zh" \
        -pointsize 32 -fill '#e8e8e8' -annotate +0+30 "$en" \
        "$file"
}

# A row of flat-roofed blocks with lit windows, as a skyline silhouette,
# standing on row BASE; SHRINK divides their heights for a distant view.
skyline() {
    local colour=$1 lit=$2 base=$3 shrink=${4:-1}
    local draw="" x=0 i=0
    local widths=(150 110 190 130 170 120 200 140 160)
    local heights=(300 420 260 520 340 460 280 380 320)
    for i in "${!widths[@]}"; do
        local w=${widths[$i]} h=$((heights[i] / shrink))
        draw+="fill $colour rectangle $x,$((base - h)) $((x + w - 6)),$base "
        local wy wx
        for ((wy = base - h + 24; wy < base - 30; wy += 44)); do
            for ((wx = x + 16; wx < x + w - 30; wx += 34)); do
                if (( (wx * 7 + wy * 13 + i) % 5 < 2 )); then
                    draw+="fill $lit rectangle $wx,$wy $((wx + 14)),$((wy + 20)) "
                fi
            done
        done
        x=$((x + w))
    done
    echo "$draw"
}

# 1: sunrise over the estate.
f="$tmp/sunrise.png"
convert -size ${W}x${H} gradient:'#ffcf7a'-'#6a3d8f' \
    \( -seed 11 -size $((W / 4))x$((H / 4)) plasma:'#ffffff'-'#c06080' \
       -blur 0x6 -resize ${W}x${H}! \) \
    -compose soft-light -composite \
    -fill '#fff4c0' -draw "circle 880,560 880,640" -blur 0x2 \
    -draw "$(skyline '#2a1b3d' '#ffd27f' $H)" \
    -strip "$f"
caption "$f" "青园社区 · 清晨" "Qingyuan Community · Morning"

# 2: the central garden.
f="$tmp/garden.png"
convert -size ${W}x${H} gradient:'#bfe6ff'-'#2f7d32' \
    \( -seed 23 -size $((W / 4))x$((H / 4)) plasma:'#a8e063'-'#1b5e20' \
       -blur 0x4 -resize ${W}x${H}! \) \
    \( -size ${W}x${H} gradient:black-white -level 35%,60% \) \
    -compose over -composite \
    -fill '#fdd835' -draw "circle 220,700 220,712" -draw "circle 420,780 420,790" \
    -fill '#f06292' -draw "circle 760,720 760,733" -draw "circle 1010,800 1010,811" \
    -fill '#ffffff' -draw "circle 560,690 560,700" -draw "circle 1150,700 1150,709" \
    -strip "$f"
caption "$f" "中心花园" "Central Garden"

# 3: evening by the lake: sky and skyline, mirrored and blurred as water.
f="$tmp/lakeside.png"
convert -size ${W}x$((H / 2)) gradient:'#0d1b4c'-'#f28c5a' \
    -fill '#ffe3b0' -draw "circle 300,420 300,470" \
    -draw "$(skyline '#1a1030' '#ffe08a' $((H / 2)) 2)" \
    \( +clone -flip -motion-blur 0x18+0 -blur 0x2 -modulate 75,85 \) \
    -append -strip "$f"
caption "$f" "晚霞湖畔" "Lakeside at Dusk"

# 4: autumn avenue: a path running into the distance under orange trees.
f="$tmp/autumn.png"
trunks=""
for i in 0 1 2 3 4 5; do
    # Trees shrink towards the vanishing point at (640, 470).
    d=$((100 - i * 15))
    left=$((640 - 600 * d / 100))
    right=$((640 + 600 * d / 100))
    top=$((470 - 120 * d / 100))
    bottom=$((470 + 480 * d / 100))
    tw=$((6 + 40 * d / 100))
    trunks+="fill #3b2414 rectangle $((left - tw)),$top $left,$bottom "
    trunks+="rectangle $right,$top $((right + tw)),$bottom "
done
convert -size ${W}x${H} gradient:'#fbe3b8'-'#d98c4a' \
    -fill '#a08060' -draw "polygon 600,470 680,470 1180,$H 100,$H" \
    -fill '#c9a27a' -draw "polygon 630,470 650,470 860,$H 420,$H" \
    -draw "$trunks" \
    \( -seed 53 -size $((W / 4))x$((H / 4)) plasma:'#ffb74d'-'#b33a1c' \
       -blur 0x1 -resize ${W}x${H}! \) \
    \( -size ${W}x${H} gradient:white-black -level 40%,62% \) \
    -compose over -composite -strip "$f"
caption "$f" "秋日林荫道" "Autumn Avenue"

# One JPEG encode per picture, from the lossless drafts.
for f in "$tmp"/*.png; do
    name=$(basename "$f" .png)
    convert "$f" -strip -interlace none -sampling-factor 4:2:0 \
        -quality "$QUALITY" "$out/$name.jpg"
done

# The welcome clip: slowly moving colours, the community's greeting fading
# in, and a soft two-note chime every two seconds. H.264 and AAC at modest
# rates: 8 s stay under 1 MB and play on any board.
ffmpeg -v error -y \
    -f lavfi -i "gradients=s=960x720:r=24:d=8:c0=0x1d3557:c1=0x457b9d:c2=0xa8dadc:speed=0.015,
drawtext=fontfile=$font:text='青园社区 · 欢迎回家':fontsize=72:fontcolor=white:
x=(w-tw)/2:y=h/2-90:alpha='min(1,t/1.5)',
drawtext=fontfile=$font:text='Qingyuan Community · Welcome home':fontsize=36:
fontcolor=white:x=(w-tw)/2:y=h/2+20:alpha='min(1,max(0,(t-1)/1.5))'" \
    -f lavfi -i "aevalsrc=0.18*sin(2*PI*523.25*t)*exp(-2*mod(t\,2))+0.12*sin(2*PI*659.25*t)*exp(-2*mod(t+1\,2)):s=48000:d=8" \
    -c:v libx264 -preset slow -crf 30 -pix_fmt yuv420p -threads 1 \
    -c:a aac -b:a 64k -ac 2 -movflags +faststart -shortest "$out/welcome.mp4"

du -ch "$out"/*.jpg "$out"/*.mp4 | tail -n 1
