namespace Smp.Devices.Cpu;

/// <summary>
/// Register numbers as the core stores them in <see cref="Uop"/> operand fields:
/// general-purpose registers 0–15 in encoding order; for 8-bit operands 20–23 name AH, CH, DH, BH;
/// <see cref="None"/> (16) means "no register": an operand that is not a register, or an absent
/// address base or index (register slot 16 always reads 0).
/// </summary>
public static class Reg
{
    /// <summary>RAX.</summary>
    public const int RAX = 0;
    /// <summary>RCX.</summary>
    public const int RCX = 1;
    /// <summary>RDX.</summary>
    public const int RDX = 2;
    /// <summary>RBX.</summary>
    public const int RBX = 3;
    /// <summary>RSP.</summary>
    public const int RSP = 4;
    /// <summary>RBP.</summary>
    public const int RBP = 5;
    /// <summary>RSI.</summary>
    public const int RSI = 6;
    /// <summary>RDI.</summary>
    public const int RDI = 7;
    /// <summary>R8 (R9–R15 follow).</summary>
    public const int R8 = 8;
    /// <summary>No register: a base or index slot that contributes nothing.</summary>
    public const int None = 16;
    /// <summary>First high-byte register code (AH); CH, DH, BH follow. Distinct from <see cref="None"/>.</summary>
    public const int AH = 20;
}
