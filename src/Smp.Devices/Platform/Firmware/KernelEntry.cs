namespace Smp.Devices.Platform.Firmware;

/// <summary>How to enter a kernel that <see cref="IKernelImage.Load"/> placed in RAM.</summary>
/// <param name="Mode">The entry mode.</param>
/// <param name="EntryPoint">The physical entry address (protected mode); unused in real mode.</param>
/// <param name="Eax">EAX at entry (the Multiboot magic), protected mode only.</param>
/// <param name="Ebx">EBX at entry (the Multiboot information address), protected mode only.</param>
/// <param name="Segment">The real-mode setup segment (real mode).</param>
/// <param name="StackPointer">SP at entry (real mode).</param>
public sealed record KernelEntry(KernelEntryMode Mode, uint EntryPoint = 0, uint Eax = 0, uint Ebx = 0, ushort Segment = 0, ushort StackPointer = 0)
{
    /// <summary>A 32-bit protected-mode entry with EAX and EBX set (Multiboot).</summary>
    public static KernelEntry ProtectedMode(uint entryPoint, uint eax, uint ebx) => new(KernelEntryMode.ProtectedMode32, entryPoint, eax, ebx);

    /// <summary>A real-mode entry at <paramref name="segment"/> + 0x20 : 0 with the stack at <paramref name="segment"/>:<paramref name="stackPointer"/>.</summary>
    public static KernelEntry RealMode(ushort segment, ushort stackPointer) => new(KernelEntryMode.RealModeSetup, Segment: segment, StackPointer: stackPointer);
}
