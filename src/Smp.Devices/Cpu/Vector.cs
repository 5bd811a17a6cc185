namespace Smp.Devices.Cpu;

/// <summary>Exception vectors (SDM Vol. 3A Table 6-1).</summary>
public static class Vector
{
    /// <summary>#DE divide error.</summary>
    public const int DE = 0;
    /// <summary>#DB debug exception.</summary>
    public const int DB = 1;
    /// <summary>NMI.</summary>
    public const int NMI = 2;
    /// <summary>#BP breakpoint (INT3).</summary>
    public const int BP = 3;
    /// <summary>#OF overflow (INTO).</summary>
    public const int OF = 4;
    /// <summary>#BR BOUND range exceeded.</summary>
    public const int BR = 5;
    /// <summary>#UD invalid opcode.</summary>
    public const int UD = 6;
    /// <summary>#NM device not available.</summary>
    public const int NM = 7;
    /// <summary>#DF double fault.</summary>
    public const int DF = 8;
    /// <summary>#TS invalid TSS.</summary>
    public const int TS = 10;
    /// <summary>#NP segment not present.</summary>
    public const int NP = 11;
    /// <summary>#SS stack-segment fault.</summary>
    public const int SS = 12;
    /// <summary>#GP general protection.</summary>
    public const int GP = 13;
    /// <summary>#PF page fault.</summary>
    public const int PF = 14;
    /// <summary>#MF x87 floating-point error.</summary>
    public const int MF = 16;
    /// <summary>#AC alignment check.</summary>
    public const int AC = 17;
    /// <summary>#MC machine check.</summary>
    public const int MC = 18;
    /// <summary>#XM SIMD floating-point exception.</summary>
    public const int XM = 19;

    /// <summary>True for the vectors that push an error code when delivered as exceptions (SDM §6.13; fact sheet D3).</summary>
    public static bool HasErrorCode(int vector) => vector is DF or TS or NP or SS or GP or PF or AC;

    /// <summary>Linux-style mnemonic of an exception vector ("#PF"), or the number for other vectors.</summary>
    public static string Name(int vector) => vector switch
    {
        DE => "#DE", DB => "#DB", NMI => "NMI", BP => "#BP", OF => "#OF", BR => "#BR", UD => "#UD", NM => "#NM",
        DF => "#DF", TS => "#TS", NP => "#NP", SS => "#SS", GP => "#GP", PF => "#PF", MF => "#MF", AC => "#AC",
        MC => "#MC", XM => "#XM", _ => $"vector 0x{vector:X2}",
    };
}
