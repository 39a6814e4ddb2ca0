#!/usr/bin/env bash
# Runs inside the virtual machine's root file system (chroot) while tools/vm-test builds the
# image. It does what a technician does by hand on a real box
# (firmware-notes/os-image.md) where the virtual machine's parts differ from a Pi's:
#
#   - names the readers and the touch panel with a udev rule of its own (the Pi rules in
#     99-kejia.rules match UARTs by device-tree node, which QEMU's machines have not): the QR
#     reader is ttyS1, the card reader ttyS2 (ttyS0 and ttyS1 on arm64), the touch panel
#     QEMU's virtio tablet;
#   - tells the kiosk the tablet's raw range (0-32767) with a drop-in, as `systemctl edit
#     kejia-kiosk` would;
#   - a static address for QEMU's user network, the root file system in fstab, root logged in
#     on the serial console (ttyS0, ttyAMA0 on arm64: the test's way in), no text login
#     drawing on the screen;
#   - systemd-timesyncd asking QEMU's gateway for the time, but not started at boot, so the box
#     starts with no time service (the clock check starts it);
#
# kejia itself is not installed here: the first boot runs deploy/install.sh on the live system,
# as the technician does on the box (tools/vm/drive.py provision).
#
#   customize.sh
set -euo pipefail

# Where QEMU puts the console and the readers: on the pc machine the 16550 ports ttyS0-2; on
# the virt board (aarch64) its PL011 is the console and a PCI card's two 16550s the readers.
case "$(dpkg --print-architecture)" in
    arm64) CONSOLE=ttyAMA0 QR=ttyS0 CARD=ttyS1 ;;
    *) CONSOLE=ttyS0 QR=ttyS1 CARD=ttyS2 ;;
esac

echo kejia-vm >/etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 kejia-vm\n' >/etc/hosts
printf '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n' >/etc/fstab
passwd -d root >/dev/null

# The serial console: root logged in at once, for the test's commands.
mkdir -p "/etc/systemd/system/serial-getty@$CONSOLE.service.d"
cat >"/etc/systemd/system/serial-getty@$CONSOLE.service.d/autologin.conf" <<'UNIT'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --noclear --keep-baud 115200,57600,38400,9600 %I $TERM
UNIT
# Nothing but kejia draws on the screen (os-image.md, step 4).
systemctl mask getty@tty1.service >/dev/null 2>&1 || ln -sf /dev/null /etc/systemd/system/getty@tty1.service

# QEMU's user network: the guest is always 10.0.2.15 behind the gateway 10.0.2.2.
mkdir -p /etc/systemd/network
cat >/etc/systemd/network/10-vm.network <<'NET'
[Match]
Name=en* eth*

[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
LinkLocalAddressing=no
IPv6AcceptRA=no
NET
systemctl enable systemd-networkd.service >/dev/null 2>&1
# Nothing waits for "online": the home listens on 0.0.0.0 anyway.
systemctl mask systemd-networkd-wait-online.service >/dev/null 2>&1 || true

# The devices under the names the kiosk's unit opens (99-kejia.rules, section A's role).
cat >/etc/udev/rules.d/90-kejia-vm.rules <<RULES
# kejia in a virtual machine (tools/vm-test): QEMU's ports and tablet stand in for the box's.
SUBSYSTEM=="tty", KERNEL=="$QR", SYMLINK+="kejia-qr", GROUP="dialout", MODE="0660"
SUBSYSTEM=="tty", KERNEL=="$CARD", SYMLINK+="kejia-card", GROUP="dialout", MODE="0660"
SUBSYSTEM=="input", KERNEL=="event*", ATTRS{name}=="QEMU Virtio Tablet", SYMLINK+="kejia-touch"
RULES

# The tablet reports 0-32767 on both axes, not the panel's pixels: say so, as `systemctl edit`
# would (the unit itself comes with install.sh at the first boot; its file is read from there).
ExecStart=$(sed -n 's/^ExecStart=//p' /root/kejia-install/deploy/systemd/kejia-kiosk.service)
[ -n "$ExecStart" ] || { echo "customize.sh: no ExecStart in kejia-kiosk.service" >&2; exit 1; }
mkdir -p /etc/systemd/system/kejia-kiosk.service.d
cat >/etc/systemd/system/kejia-kiosk.service.d/override.conf <<UNIT
[Service]
ExecStart=
ExecStart=${ExecStart/--touch \/dev\/kejia-touch/--touch /dev/kejia-touch:x=0-32767,y=0-32767}
UNIT
grep -q 'kejia-touch:x=0-32767' /etc/systemd/system/kejia-kiosk.service.d/override.conf ||
    { echo "customize.sh: the kiosk's ExecStart has no --touch /dev/kejia-touch" >&2; exit 1; }

# The box's time service, asking QEMU's gateway (the test serves the time there), but off: the
# box boots with no time service until the clock check starts it (tools/vm/drive.py).
mkdir -p /etc/systemd/timesyncd.conf.d
printf '[Time]\nNTP=10.0.2.2\nFallbackNTP=\n' >/etc/systemd/timesyncd.conf.d/vm.conf
systemctl disable systemd-timesyncd.service >/dev/null 2>&1 || true

echo "customize.sh: done"
