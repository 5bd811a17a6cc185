using Iced.Intel;

namespace Smp.Devices.Cpu.Decoding;

/// <summary>Translates Iced <see cref="Register"/> values to the core's register numbers (<see cref="Reg"/>).</summary>
public static class RegisterMap
{
    private static readonly byte[] Map = Build();

    /// <summary>
    /// The core's number for <paramref name="r"/>: GPRs of any width 0–15 (AH–BH 20–23), segment
    /// registers 0–5, control and debug registers, XMM and MMX registers by number; <see cref="Register.None"/> and RIP/EIP map to <see cref="Reg.None"/>.
    /// </summary>
    public static byte Of(Register r) => Map[(int)r];

    private static byte[] Build()
    {
        var map = new byte[Enum.GetValues<Register>().Length];
        Array.Fill(map, (byte)Reg.None);
        for (int i = 0; i < 4; i++) map[(int)Register.AL + i] = (byte)i;
        for (int i = 0; i < 4; i++) map[(int)Register.AH + i] = (byte)(Reg.AH + i);
        for (int i = 0; i < 4; i++) map[(int)Register.SPL + i] = (byte)(4 + i);
        for (int i = 0; i < 8; i++) map[(int)Register.R8L + i] = (byte)(8 + i);
        for (int i = 0; i < 16; i++)
        {
            map[(int)Register.AX + i] = (byte)i;
            map[(int)Register.EAX + i] = (byte)i;
            map[(int)Register.RAX + i] = (byte)i;
            map[(int)Register.CR0 + i] = (byte)i;
            map[(int)Register.DR0 + i] = (byte)i;
            map[(int)Register.XMM0 + i] = (byte)i;
        }
        for (int i = 0; i < 8; i++) map[(int)Register.MM0 + i] = (byte)i;
        for (int i = 0; i < 6; i++) map[(int)Register.ES + i] = (byte)i;
        return map;
    }

    /// <summary>Operand size index (0 = 8, 1 = 16, 2 = 32, 3 = 64 bits) of a general-purpose register.</summary>
    public static int SizeIndex(Register r) => r.GetSize() switch { 1 => 0, 2 => 1, 4 => 2, _ => 3 };
}
