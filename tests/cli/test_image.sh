#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The container image: ci/image.sh builds it with podman and checks its binary (see there).
# Skips (77) without root or podman, and in the sanitizer build.
if [ -n "${EA_SANITIZED:-}" ]; then echo "SKIP: the image is checked in the default build"; exit 77; fi
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: podman build --isolation chroot needs root"; exit 77; fi
if ! command -v podman >/dev/null; then echo "SKIP: podman is not installed"; exit 77; fi
exec bash "$EA_SOURCE_DIR/ci/image.sh"
