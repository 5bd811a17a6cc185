using System.Runtime.CompilerServices;

namespace Smp.Devices.Cpu;

/// <summary>
/// RAX–R15 and the always-zero slot 16, stored inline in the <see cref="CpuCore"/> object so that a
/// register access is one load from the CPU object rather than one through a separate array.
/// </summary>
[InlineArray(17)]
public struct RegisterFile
{
    private ulong _element0;
}
