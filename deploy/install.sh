#!/usr/bin/env bash
# Installs kejia on this machine: the binary, the `kejia` system user, the systemd units, the
# udev rules, a settings file and the kiosk's token, then enables and starts the services.
#
#   sudo deploy/install.sh [--binary PATH] [--role ROLES] [--root DIR]
#
#   --binary PATH  the kejia binary for this machine (default /tmp/kejia, where
#                  firmware-notes/os-image.md copies it)
#   --role ROLES   what runs here, one or more of home, kiosk, hub, all, joined by commas
#                  (default home,kiosk: the box by the door, which is both)
#                    home   kejia-serve.service  the home's server (/var/lib/kejia/home)
#                    kiosk  kejia-kiosk.service  the door touchscreen, its readers, udev rules
#                    hub    kejia-hub.service    the association's server (/var/lib/kejia-hub)
#                    all    all three
#   --root DIR     install into DIR instead of / (for tests): no user is made, no service is
#                  started and nothing is chowned; what would be done is printed instead
#
# Running it again changes nothing, unless the binary or a file in deploy/ changed: then it
# replaces that file and restarts the services that were running. It never overwrites
# /etc/kejia/kejia.toml, /etc/kejia/hub.toml or /etc/kejia/kiosk.token once they exist.
set -euo pipefail

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

BINARY=/tmp/kejia
ROLES=home,kiosk
ROOT=/
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) [ $# -ge 2 ] || die "--binary needs a path"; BINARY=$2; shift 2 ;;
        --binary=*) BINARY=${1#*=}; shift ;;
        --role) [ $# -ge 2 ] || die "--role needs home, kiosk, hub or all"; ROLES=$2; shift 2 ;;
        --role=*) ROLES=${1#*=}; shift ;;
        --root) [ $# -ge 2 ] || die "--root needs a folder"; ROOT=$2; shift 2 ;;
        --root=*) ROOT=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
[ -d "$ROOT" ] || die "--root $ROOT is not a folder"
ROOT=$(cd "$ROOT" && pwd)
if [ "$ROOT" = / ]; then
    DRY=false
    R=""
    [ "$(id -u)" -eq 0 ] || die "run it as root: sudo $0 $*"
else
    DRY=true
    R=$ROOT
    say "installing into $ROOT: users, ownership and systemctl are only printed"
fi

HOME_ROLE=false KIOSK_ROLE=false HUB_ROLE=false
IFS=, read -r -a wanted <<<"$ROLES"
[ ${#wanted[@]} -gt 0 ] || die "--role needs home, kiosk, hub or all"
for role in "${wanted[@]}"; do
    case "$role" in
        home) HOME_ROLE=true ;;
        kiosk) KIOSK_ROLE=true ;;
        hub) HUB_ROLE=true ;;
        all) HOME_ROLE=true KIOSK_ROLE=true HUB_ROLE=true ;;
        *) die "unknown role '$role': write home, kiosk, hub or all (several joined by commas)" ;;
    esac
done

[ -f "$BINARY" ] || die "no kejia binary at $BINARY (copy it there or give --binary PATH)"

# Whether anything the running services use was replaced (then they are restarted).
CHANGED=false

# Runs a command, or in --root mode prints it.
run() {
    if $DRY; then
        printf 'install.sh: would run:'
        printf ' %q' "$@"
        printf '\n'
    else
        "$@"
    fi
}

# put SOURCE DEST MODE [OWNER GROUP]: installs a file unless DEST already holds the same bytes
# with the same mode and owner. Owner and group default to root.
put() {
    local source=$1 dest=$2 mode=$3 owner=${4:-root} group=${5:-root}
    local want="$mode $owner:$group"
    $DRY && want=$mode
    if [ -f "$dest" ] && cmp -s "$source" "$dest" && [ "$(file_state "$dest")" = "$want" ]; then
        return 0
    fi
    mkdir -p "$(dirname "$dest")"
    if $DRY; then
        install -m "$mode" "$source" "$dest"
        say "wrote ${dest#"$R"} (mode $mode; would chown $owner:$group)"
    else
        install -m "$mode" -o "$owner" -g "$group" "$source" "$dest"
        say "wrote $dest ($mode $owner:$group)"
    fi
    CHANGED=true
}

# The mode of a file, and its owner in a real install: "0644 root:root".
file_state() {
    if $DRY; then stat -c '%04a' "$1"; else stat -c '%04a %U:%G' "$1"; fi
}

# folder DIR MODE OWNER GROUP: makes a folder, or corrects its mode and owner.
folder() {
    local dir=$1 mode=$2 owner=$3 group=$4
    local want="$mode $owner:$group"
    $DRY && want=$mode
    if [ -d "$dir" ] && [ "$(file_state "$dir")" = "$want" ]; then
        return 0
    fi
    if $DRY; then
        install -d -m "$mode" "$dir"
        say "made ${dir#"$R"} (mode $mode; would chown $owner:$group)"
    else
        install -d -m "$mode" -o "$owner" -g "$group" "$dir"
        say "made $dir ($mode $owner:$group)"
    fi
}

SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

# A copy that surely has its execute bit (scp may drop it), to see that it runs here at all.
install -m 0755 "$BINARY" "$SCRATCH/kejia"
"$SCRATCH/kejia" --version >/dev/null 2>&1 ||
    die "$BINARY does not run here; is it built for this machine (aarch64-unknown-linux-gnu on a Pi)?"

# --- The binary ----------------------------------------------------------------------------
KEJIA=$R/usr/local/bin/kejia
put "$BINARY" "$KEJIA" 0755

# --- The user ------------------------------------------------------------------------------
# A fixed system user, not DynamicUser=: the kiosk needs the dialout, input, video and audio
# groups, and the home's files must keep their owner across restarts.
if $DRY; then
    say "would make the system user kejia (home /var/lib/kejia, shell /usr/sbin/nologin) if missing"
    $KIOSK_ROLE && say "would add kejia to the groups dialout, input, video and audio"
else
    if ! getent passwd kejia >/dev/null; then
        useradd --system --user-group --home-dir /var/lib/kejia --no-create-home \
            --shell /usr/sbin/nologin --comment "kejia check-in" kejia
        say "made the system user kejia"
    fi
    if $KIOSK_ROLE; then
        for group in dialout input video audio; do
            getent group "$group" >/dev/null || continue
            if ! id -nG kejia | tr ' ' '\n' | grep -qx "$group"; then
                usermod -a -G "$group" kejia
                say "added kejia to the group $group"
            fi
        done
    fi
fi

# --- Folders -------------------------------------------------------------------------------
folder "$R/etc/kejia" 0755 root root
if $HOME_ROLE; then
    folder "$R/var/lib/kejia" 0750 kejia kejia
    folder "$R/var/lib/kejia/home" 0750 kejia kejia
fi
$HUB_ROLE && folder "$R/var/lib/kejia-hub" 0750 kejia kejia

# --- Units, udev rules and these notes -----------------------------------------------------
UNITS=()
$HOME_ROLE && UNITS+=(kejia-serve.service)
$KIOSK_ROLE && UNITS+=(kejia-kiosk.service)
$HUB_ROLE && UNITS+=(kejia-hub.service)
# The units installed before this run: in --root mode they stand for the running services.
INSTALLED=" "
for unit in "${UNITS[@]}"; do
    [ -f "$R/etc/systemd/system/$unit" ] && INSTALLED+="$unit "
    put "$HERE/systemd/$unit" "$R/etc/systemd/system/$unit" 0644
done

RULES_CHANGED=false
if $KIOSK_ROLE; then
    was=$CHANGED
    CHANGED=false
    put "$HERE/udev/99-kejia.rules" "$R/etc/udev/rules.d/99-kejia.rules" 0644
    RULES_CHANGED=$CHANGED
    $was && CHANGED=true
fi

# The firmware notes, for a technician at a box with no internet (the units link to them).
if [ -d "$HERE/../firmware-notes" ]; then
    for note in "$HERE"/../firmware-notes/*.md; do
        [ -f "$note" ] || continue
        was=$CHANGED
        put "$note" "$R/usr/local/share/doc/kejia/firmware-notes/$(basename "$note")" 0644
        CHANGED=$was
    done
fi

# --- Settings ------------------------------------------------------------------------------
# Written once from the binary's own annotated example; edited by hand from then on.
write_example() {
    local dest=$1
    [ -e "$dest" ] && return 0
    "$KEJIA" config example >"$SCRATCH/example.toml" || die "kejia config example failed"
    [ -s "$SCRATCH/example.toml" ] || die "kejia config example printed nothing"
    put "$SCRATCH/example.toml" "$dest" 0644
}
$HOME_ROLE && write_example "$R/etc/kejia/kejia.toml"
$HUB_ROLE && write_example "$R/etc/kejia/hub.toml"

# --- The kiosk's token ---------------------------------------------------------------------
# Made once, by the home on this machine, as the kejia user (so the database it may create
# belongs to kejia), and kept where the kiosk can read it and other users cannot.
KIOSK_READY=$KIOSK_ROLE
TOKEN=$R/etc/kejia/kiosk.token
if $KIOSK_ROLE && [ ! -e "$TOKEN" ]; then
    if $HOME_ROLE || [ -d "$R/var/lib/kejia/home" ]; then
        old_umask=$(umask)
        umask 077
        if $DRY; then
            say "would run the next command as the user kejia"
            token=$("$KEJIA" token add --data "$R/var/lib/kejia/home" --name 签到机 --role kiosk) ||
                die "kejia token add failed"
        else
            token=$(cd / && runuser -u kejia -- "$KEJIA" token add --data /var/lib/kejia/home \
                --name 签到机 --role kiosk) || die "kejia token add failed"
        fi
        umask "$old_umask"
        case "$token" in
            "" | *[[:space:]]*) die "kejia token add printed no token (it printed: '$token')" ;;
        esac
        printf '%s\n' "$token" >"$SCRATCH/kiosk.token"
        put "$SCRATCH/kiosk.token" "$TOKEN" 0640 root kejia
        say "made the kiosk's token (device name 签到机)"
    else
        KIOSK_READY=false
        say "no home on this machine to make the kiosk's token: on the home, run"
        say "  sudo -u kejia /usr/local/bin/kejia token add --data /var/lib/kejia/home --name 签到机 --role kiosk"
        say "then here, with the line it printed in place of TOKEN:"
        say "  printf '%s\\n' 'TOKEN' | sudo install -m 0640 -o root -g kejia /dev/stdin /etc/kejia/kiosk.token"
        say "set --server in kejia-kiosk.service to the home's address (sudo systemctl edit kejia-kiosk)"
        say "and run: sudo systemctl enable --now kejia-kiosk.service"
    fi
fi

# --- udev and systemd ----------------------------------------------------------------------
if $RULES_CHANGED; then
    run udevadm control --reload
    run udevadm trigger --subsystem-match=tty --subsystem-match=input
fi

START=()
for unit in "${UNITS[@]}"; do
    [ "$unit" = kejia-kiosk.service ] && ! $KIOSK_READY && continue
    START+=("$unit")
done

# The services already running before this install; restarted only if something changed.
# (In --root mode, those whose unit was installed before, to show what an upgrade restarts.)
RUNNING=()
for unit in "${START[@]}"; do
    if $DRY; then
        [[ $INSTALLED == *" $unit "* ]] && RUNNING+=("$unit")
    elif systemctl is-active --quiet "$unit"; then
        RUNNING+=("$unit")
    fi
done

run systemctl daemon-reload
if [ ${#START[@]} -gt 0 ]; then
    run systemctl enable --now "${START[@]}"
fi
if $CHANGED && [ ${#RUNNING[@]} -gt 0 ]; then
    run systemctl restart "${RUNNING[@]}"
fi

if $DRY; then
    say "done (into $ROOT)"
elif $HOME_ROLE; then
    say "done. The first start prints a one-time setup link; read it with"
    say "  sudo journalctl -u kejia-serve.service -b | grep setup"
    say "and open it with this machine's address in place of 0.0.0.0."
else
    say "done."
fi
