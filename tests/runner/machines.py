"""How the runner boots Veil: QEMU command lines for BIOS (SeaBIOS) and
UEFI (OVMF), and the small FAT disk that hands a command line (and an
optional module) to the ISO's GRUB configuration (tools/grub/*.cfg)."""
import os
import shutil
import subprocess

QEMU_EXIT = {1: "passed", 3: "failed", 5: "crashed"}
OVMF_CANDIDATES = ["/usr/share/ovmf/OVMF.fd", "/usr/share/OVMF/OVMF_CODE.fd",
                   "/usr/share/qemu/OVMF.fd"]


def ovmf_firmware():
    for path in OVMF_CANDIDATES:
        if os.path.exists(path):
            return path
    return None


def make_config_disk(path, cmdline, module=None, module_name=None):
    """A FAT image (1.44 MB, more for a module) holding /veil.cfg and the
    module file, which GRUB finds with 'search --file /veil.cfg' and loads
    with module2 under module_name (default: the file's name)."""
    if os.path.exists(path):
        os.remove(path)
    lines = [f'set veil_cmdline="{cmdline}"']
    size_kib = 1440
    if module:
        size_kib = max(size_kib, os.path.getsize(module) // 1024 + 512)
    subprocess.run(["mformat", "-C", "-T", str(size_kib * 2), "-h", "2", "-s", "32",
                    "-i", path, "::"], check=True, capture_output=True)
    if module:
        name = module_name or os.path.basename(module)
        subprocess.run(["mcopy", "-i", path, module, "::/" + name], check=True,
                       capture_output=True)
        lines.append(f'set veil_module="{name}"')
    config = path + ".cfg"
    with open(config, "w") as f:
        f.write("\n".join(lines) + "\n")
    subprocess.run(["mcopy", "-i", path, config, "::/veil.cfg"], check=True,
                   capture_output=True)
    return path


def qemu_command(iso, firmware="bios", memory="256M", cpu="max", disk=None,
                 extra=(), cpus=1):
    """QEMU under TCG (one host thread per CPU when there are several),
    serial on stdout, no screen, no reboot on a triple fault (QEMU then
    exits 0, which the runner reads as a crash)."""
    command = ["qemu-system-x86_64", "-machine", "pc,accel=tcg",
               "-cpu", cpu, "-m", memory, "-smp", str(cpus),
               "-display", "none", "-serial", "stdio", "-monitor", "none",
               "-no-reboot", "-nic", "none", "-boot", "order=d",
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x01",
               "-drive", f"file={iso},media=cdrom,if=ide,index=2,format=raw"]
    if firmware == "uefi":
        command += ["-bios", ovmf_firmware()]
    if disk:
        command += ["-drive", f"file={disk},format=raw,if=ide,index=0"]
    return command + list(extra)


def have(tool):
    return shutil.which(tool) is not None
