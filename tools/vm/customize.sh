#!/usr/bin/env bash
# Runs inside the virtual machine's root file system (chroot), after deploy/install.sh, while
# tools/vm-test builds the image. It does what a technician does by hand on a real box
# (firmware-notes/os-image.md) where the virtual machine's parts differ from a Pi's:
#
#   - names the readers and the touch panel with a udev rule of its own (the Pi rules in
#     99-kejia.rules match UARTs by device-tree node, which a PC has not): the QR reader is
#     ttyS1, the card reader ttyS2, the touch panel QEMU's virtio tablet;
#   - tells the kiosk the tablet's raw range (0-32767) with a drop-in, as `systemctl edit
#     kejia-kiosk` would;
#   - a static address for QEMU's user network, the root file system in fstab, root logged in
#     on the serial console ttyS0 (the test's way in), no text login drawing on the screen;
#
# kejia itself is not installed here: the first boot runs deploy/install.sh on the live system,
# as the technician does on the box (tools/vm/drive.py provision).
#
#   customize.sh
set -euo pipefail

echo kejia-vm >/etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 kejia-vm\n' >/etc/hosts
printf '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n' >/etc/fstab
passwd -d root >/dev/null

# The serial console: root logged in at once, for the test's commands.
mkdir -p /etc/systemd/system/serial-getty@ttyS0.service.d
cat >/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf <<'UNIT'
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
cat >/etc/udev/rules.d/90-kejia-vm.rules <<'RULES'
# kejia in a virtual machine (tools/vm-test): QEMU's ports and tablet stand in for the box's.
SUBSYSTEM=="tty", KERNEL=="ttyS1", SYMLINK+="kejia-qr", GROUP="dialout", MODE="0660"
SUBSYSTEM=="tty", KERNEL=="ttyS2", SYMLINK+="kejia-card", GROUP="dialout", MODE="0660"
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

echo "customize.sh: done"
