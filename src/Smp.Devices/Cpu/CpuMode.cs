namespace Smp.Devices.Cpu;

/// <summary>The processor's operating mode, derived from CR0.PE, EFER.LMA and CS.L/CS.D.</summary>
public enum CpuMode : byte
{
    /// <summary>Real-address mode (CR0.PE = 0).</summary>
    Real,

    /// <summary>Protected mode running 16-bit code (CS.D = 0).</summary>
    Protected16,

    /// <summary>Protected mode (or compatibility mode) running 32-bit code (CS.D = 1).</summary>
    Protected32,

    /// <summary>IA-32e mode with a 16-bit code segment (compatibility mode).</summary>
    Compat16,

    /// <summary>IA-32e compatibility mode with a 32-bit code segment.</summary>
    Compat32,

    /// <summary>IA-32e 64-bit mode (EFER.LMA = 1 and CS.L = 1).</summary>
    Long64,
}
