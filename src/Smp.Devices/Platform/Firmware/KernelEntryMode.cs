namespace Smp.Devices.Platform.Firmware;

/// <summary>How the BIOS's kernel-boot ROM code enters a loaded kernel (the values are what the KernelBoot trap returns in CX).</summary>
public enum KernelEntryMode
{
    /// <summary>
    /// 32-bit protected mode, as Multiboot v1 and v2 require: paging off, A20 on, CS a flat 32-bit code segment,
    /// DS/ES/FS/GS/SS flat data segments, IF = 0, EAX and EBX as given, EIP = the entry point.
    /// </summary>
    ProtectedMode32 = 1,

    /// <summary>
    /// Real mode at a Linux setup segment (the x86 boot protocol): DS = ES = FS = GS = SS = the segment, SP as given,
    /// IF = 0, CS:IP = (segment + 0x20):0000 — the setup code's entry at offset 0x200.
    /// </summary>
    RealModeSetup = 2,
}
