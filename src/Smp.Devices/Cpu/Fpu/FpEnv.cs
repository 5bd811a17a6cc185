namespace Smp.Devices.Cpu.Fpu;

/// <summary>x87 status-word and control-word bits (SDM Vol. 1 §8.1.3, Figure 8-4; §8.1.5, Figure 8-6).</summary>
internal static class X87Sw
{
    public const int IE = 0x01, DE = 0x02, ZE = 0x04, OE = 0x08, UE = 0x10, PE = 0x20, SF = 0x40, ES = 0x80;
    public const int C0 = 0x0100, C1 = 0x0200, C2 = 0x0400, C3 = 0x4000, B = 0x8000;
    public const int TopShift = 11, TopMask = 0x3800;

    /// <summary>The six exception flags (and their mask bits in FCW).</summary>
    public const int Exceptions = 0x3F;

    /// <summary>The condition-code bits C0–C3.</summary>
    public const int ConditionCodes = C0 | C1 | C2 | C3;
}

/// <summary>
/// The rounding context of one x87 operation: rounding control, precision, the exception masks of FCW, and what the
/// operation raised. Soft-float routines add exception flags to <see cref="Flags"/> and set <see cref="RoundedUp"/>
/// when an inexact result was rounded away from zero (the x87 reports it in C1, SDM Vol. 1 §8.1.3.3).
/// </summary>
internal struct FpEnv
{
    /// <summary>Rounding control: 0 nearest (even), 1 down (toward −∞), 2 up (toward +∞), 3 toward zero.</summary>
    public int Rc;

    /// <summary>Significand bits of the result: 24, 53 or 64.</summary>
    public int Precision;

    /// <summary>Exception mask bits (FCW bits 0–5): a set bit masks the exception.</summary>
    public int Masks;

    /// <summary>Exceptions raised (FSW bit layout, IE … PE and SF).</summary>
    public int Flags;

    /// <summary>The last inexact result was rounded up in magnitude.</summary>
    public bool RoundedUp;

    /// <summary>
    /// The context for an instruction under <paramref name="fcw"/>; <paramref name="precisionControl"/> applies FCW.PC
    /// (only the basic arithmetic and FSQRT obey it, SDM Vol. 1 §8.1.5.2), otherwise results have 64 bits.
    /// </summary>
    public static FpEnv For(ushort fcw, bool precisionControl) => new()
    {
        Rc = (fcw >> 10) & 3,
        Precision = !precisionControl ? 64 : ((fcw >> 8) & 3) switch { 0 => 24, 2 => 53, _ => 64 },
        Masks = fcw & X87Sw.Exceptions,
    };

    /// <summary>A context that rounds to <paramref name="precision"/> bits with <paramref name="rc"/>, all exceptions masked.</summary>
    public static FpEnv Masked(int rc, int precision) => new() { Rc = rc, Precision = precision, Masks = X87Sw.Exceptions };

    /// <summary>True when exception <paramref name="bit"/> is masked.</summary>
    public readonly bool IsMasked(int bit) => (Masks & bit) != 0;

    /// <summary>True when DE was raised and is unmasked: the operation stops before computing (SDM Vol. 1 §8.5.2).</summary>
    public readonly bool DenormalFault => (Flags & ~Masks & X87Sw.DE) != 0;

    /// <summary>True when an unmasked exception among IE, DE, ZE was raised: the instruction must not deliver a result.</summary>
    public readonly bool PreComputationFault => (Flags & ~Masks & (X87Sw.IE | X87Sw.DE | X87Sw.ZE)) != 0;
}
