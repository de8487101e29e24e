"""A Linux kernel and initramfs to boot on the pseries profile (``make linux``).

``python -m service.linux`` fetches Debian's ppc64el kernel and busybox-static with apt-get and
builds an initramfs (``cpio.py``, ``initramfs.py``). The engine has no network or package code:
this lives beside the CLI that boots the result.
"""
