#!/bin/busybox sh
# PID 1 of the aarch64 test guest (test.sh copies it to /init in the initramfs).
#
# Mounts the kernel filesystems, loads the virtio-net modules listed in
# /etc/modules.order (test.sh writes them there, dependencies first), brings
# up eth0 on qemu's user network (10.0.2.15, gateway 10.0.2.2), then starts:
#   - a guest shell for the host: `nc -ll -p 2346 -e /bin/sh`, one shell per
#     connection (test.sh's guest_sh sends it a command line and `exit`);
#   - the server under test, /server/NAME (NAME in /etc/server.name), as
#     `NAME --multi :2345`, in /tmp, restarted if it ever exits.
# Everything they print goes to the console, which test.sh saves.

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp

for m in $(cat /etc/modules.order); do
	insmod "/lib/modules/$m.ko" || echo "init: insmod $m failed"
done
ifconfig lo 127.0.0.1 up
ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up || echo "init: no eth0"
route add default gw 10.0.2.2

nc -ll -p 2346 -e /bin/sh </dev/null &

server=$(cat /etc/server.name)
(
	cd /tmp
	while :; do
		"/server/$server" --multi :2345 </dev/null
		echo "init: $server exited with status $?; restarting it"
		sleep 1
	done
) &

echo "init: guest ready"
while :; do sleep 3600; done
