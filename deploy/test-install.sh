#!/usr/bin/env bash
# Tests deploy/install.sh without touching this machine: it installs a fake kejia binary into
# a temporary root (install.sh --root), checks the files and their modes, that a second run
# changes nothing, that an upgrade restarts and never overwrites the settings or the token,
# and, where systemd-analyze exists, verifies the units. Needs no cargo and no root.
#
#   deploy/test-install.sh
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
FAILED=0

fail() { echo "FAIL: $*" >&2; FAILED=1; }
pass() { echo "ok:   $*"; }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
mode_is() { [ "$(stat -c '%04a' "$1")" = "$2" ] || { echo "  $1 has mode $(stat -c '%04a' "$1" 2>/dev/null || echo missing), expected $2" >&2; return 1; }; }
has() { grep -q -- "$2" "$1" || { echo "  $1 lacks: $2" >&2; return 1; }; }
lacks() { ! grep -q -- "$2" "$1" || { echo "  $1 has: $(grep -- "$2" "$1" | head -1)" >&2; return 1; }; }

# A stand-in for kejia: answers the three commands install.sh uses and logs every call.
FAKE=$WORK/fake-kejia
cat >"$FAKE" <<EOF
#!/bin/sh
echo "\$*" >>"$WORK/calls.log"
case "\$1 \$2" in
    "--version ") echo "kejia 0.0.0-fake" ;;
    "config example") printf '# kejia home settings (fake)\nhome_name = "科技工作者之家"\n' ;;
    "token add") echo "kjk_0123456789abcdef0123456789abcdef" ;;
    *) echo "fake kejia: unexpected arguments: \$*" >&2; exit 2 ;;
esac
EOF
chmod 0755 "$FAKE"

snapshot() { # every path with its mode, and every file's checksum
    (cd "$1" && find . -printf '%p %m\n' | sort && find . -type f -exec sha256sum {} + | sort -k2)
}

# --- A full install ------------------------------------------------------------------------
ROOT=$WORK/root
mkdir "$ROOT"
"$HERE/install.sh" --binary "$FAKE" --role all --root "$ROOT" >"$WORK/run1.log" 2>&1 ||
    { cat "$WORK/run1.log"; fail "install.sh --role all exits 0"; exit 1; }
pass "install.sh --role all exits 0"

check "the binary is installed, mode 0755" mode_is "$ROOT/usr/local/bin/kejia" 0755
check "the binary is the one given" cmp -s "$FAKE" "$ROOT/usr/local/bin/kejia"
for unit in kejia-serve kejia-kiosk kejia-hub; do
    file=$ROOT/etc/systemd/system/$unit.service
    check "$unit.service is installed, mode 0644" mode_is "$file" 0644
    check "$unit.service is Type=notify" has "$file" '^Type=notify$'
    check "$unit.service has NotifyAccess=main" has "$file" '^NotifyAccess=main$'
    check "$unit.service has WatchdogSec=30s" has "$file" '^WatchdogSec=30s$'
    check "$unit.service runs as kejia" has "$file" '^User=kejia$'
    check "$unit.service restarts always" has "$file" '^Restart=always$'
done
check "the home keeps ProtectClock off (it reads the clock's sync state)" \
    lacks "$ROOT/etc/systemd/system/kejia-serve.service" '^ProtectClock='
check "the home allows the read-only clock calls back" \
    has "$ROOT/etc/systemd/system/kejia-serve.service" '^SystemCallFilter=adjtimex clock_adjtime'
check "the kiosk has no PrivateDevices (it needs fb, serial, input)" \
    lacks "$ROOT/etc/systemd/system/kejia-kiosk.service" '^PrivateDevices='
check "the kiosk gets the device groups" \
    has "$ROOT/etc/systemd/system/kejia-kiosk.service" '^SupplementaryGroups=dialout input video audio$'
check "the kiosk may open the sound card for its tones" \
    has "$ROOT/etc/systemd/system/kejia-kiosk.service" '^DeviceAllow=char-alsa rw$'
check "the udev rules are installed, mode 0644" mode_is "$ROOT/etc/udev/rules.d/99-kejia.rules" 0644
check "/etc/kejia is mode 0755" mode_is "$ROOT/etc/kejia" 0755
check "kejia.toml is written, mode 0644" mode_is "$ROOT/etc/kejia/kejia.toml" 0644
check "kejia.toml is what 'kejia config example' prints" has "$ROOT/etc/kejia/kejia.toml" 'kejia home settings (fake)'
check "hub.toml is written, mode 0644" mode_is "$ROOT/etc/kejia/hub.toml" 0644
check "the kiosk token is written, mode 0640" mode_is "$ROOT/etc/kejia/kiosk.token" 0640
check "the kiosk token is what 'kejia token add' printed" \
    has "$ROOT/etc/kejia/kiosk.token" '^kjk_0123456789abcdef0123456789abcdef$'
check "the token was made on the home's data folder with the kiosk role" \
    has "$WORK/calls.log" "^token add --data $ROOT/var/lib/kejia/home --name 签到机 --role kiosk$"
check "/var/lib/kejia is mode 0750" mode_is "$ROOT/var/lib/kejia" 0750
check "/var/lib/kejia/home is mode 0750" mode_is "$ROOT/var/lib/kejia/home" 0750
check "/var/lib/kejia-hub is mode 0750" mode_is "$ROOT/var/lib/kejia-hub" 0750
check "the ownership it would set is printed" has "$WORK/run1.log" 'would chown root:kejia'
check "the services would be enabled and started" \
    has "$WORK/run1.log" 'would run: systemctl enable --now kejia-serve.service kejia-kiosk.service kejia-hub.service'
check "a first install restarts nothing" lacks "$WORK/run1.log" 'systemctl restart'
check "no real useradd or systemctl ran (all printed)" lacks "$WORK/run1.log" '^useradd'

# --- The same again: nothing changes -------------------------------------------------------
snapshot "$ROOT" >"$WORK/before"
"$HERE/install.sh" --binary "$FAKE" --role all --root "$ROOT" >"$WORK/run2.log" 2>&1 ||
    { cat "$WORK/run2.log"; fail "the second run exits 0"; }
snapshot "$ROOT" >"$WORK/after"
check "a second run leaves every file and mode as it was" cmp -s "$WORK/before" "$WORK/after"
check "a second run writes nothing" lacks "$WORK/run2.log" '^install.sh: \(wrote\|made\)'
check "a second run restarts nothing" lacks "$WORK/run2.log" 'systemctl restart'
check "a second run makes no second token" \
    test "$(grep -c '^token add' "$WORK/calls.log")" -eq 1

# --- An upgrade: the new binary goes in, the settings and the token stay -------------------
echo '# edited by the technician' >>"$ROOT/etc/kejia/kejia.toml"
printf 'kjk_kept\n' >"$ROOT/etc/kejia/kiosk.token"
cp "$FAKE" "$WORK/fake-kejia-2"
echo '# a newer build' >>"$WORK/fake-kejia-2"
"$HERE/install.sh" --binary "$WORK/fake-kejia-2" --role all --root "$ROOT" >"$WORK/run3.log" 2>&1 ||
    { cat "$WORK/run3.log"; fail "the upgrade run exits 0"; }
check "an upgrade installs the new binary" cmp -s "$WORK/fake-kejia-2" "$ROOT/usr/local/bin/kejia"
check "an upgrade restarts the services" \
    has "$WORK/run3.log" 'would run: systemctl restart kejia-serve.service kejia-kiosk.service kejia-hub.service'
check "an upgrade keeps the edited settings" has "$ROOT/etc/kejia/kejia.toml" 'edited by the technician'
check "an upgrade keeps the token" has "$ROOT/etc/kejia/kiosk.token" '^kjk_kept$'

# --- A kiosk with no home beside it: no token, so not started ------------------------------
KIOSK_ROOT=$WORK/kiosk-root
mkdir "$KIOSK_ROOT"
"$HERE/install.sh" --binary "$FAKE" --role kiosk --root "$KIOSK_ROOT" >"$WORK/run4.log" 2>&1 ||
    { cat "$WORK/run4.log"; fail "a kiosk-only install exits 0"; }
check "a kiosk-only install makes no token" test ! -e "$KIOSK_ROOT/etc/kejia/kiosk.token"
check "a kiosk-only install says how to get one" has "$WORK/run4.log" 'token add --data /var/lib/kejia/home'
check "a kiosk-only install does not start the kiosk" lacks "$WORK/run4.log" 'would run: systemctl enable --now.*kejia-kiosk'
check "a kiosk-only install installs no home unit" test ! -e "$KIOSK_ROOT/etc/systemd/system/kejia-serve.service"

# --- Wrong arguments are refused -----------------------------------------------------------
refused() { ! "$@" >/dev/null 2>&1; }
check "an unknown role is refused" \
    refused "$HERE/install.sh" --binary "$FAKE" --role door --root "$KIOSK_ROOT"
check "a missing binary is refused" \
    refused "$HERE/install.sh" --binary /nonexistent/kejia --root "$KIOSK_ROOT"

# --- systemd's own check of the units ------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
    # verify insists that ExecStart= names an executable; point it at the fake.
    mkdir "$WORK/units"
    for unit in "$HERE"/systemd/*.service; do
        sed "s#/usr/local/bin/kejia#$FAKE#g" "$unit" >"$WORK/units/$(basename "$unit")"
    done
    if (cd "$WORK/units" && systemd-analyze verify ./*.service) >"$WORK/verify.log" 2>&1 &&
        [ ! -s "$WORK/verify.log" ]; then
        pass "systemd-analyze verify accepts the units, without a warning"
    else
        cat "$WORK/verify.log" >&2
        fail "systemd-analyze verify accepts the units, without a warning"
    fi
else
    echo "skip: systemd-analyze is not installed here, so the units are not verified"
fi

if command -v shellcheck >/dev/null 2>&1; then
    check "shellcheck finds nothing in install.sh and test-install.sh" \
        shellcheck "$HERE/install.sh" "$HERE/test-install.sh"
else
    echo "skip: shellcheck is not installed here"
fi

if [ "$FAILED" -ne 0 ]; then
    echo "test-install.sh: FAILED" >&2
    exit 1
fi
echo "test-install.sh: all passed"
