using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Instructions;

/// <summary>
/// ADX (SDM Vol. 2A ADCX, ADOX): unsigned add with carry through one flag only, so two carry chains can run
/// interleaved: ADCX reads and writes CF, ADOX reads and writes OF (as the carry); no other flag changes.
/// </summary>
internal static unsafe class CarryChains
{
    [InstructionFamily]
    internal static void Register()
    {
        HandlerTable.Register(Code.Adcx_r32_rm32, &Add<Size32, CarryFlag>);
        HandlerTable.Register(Code.Adcx_r64_rm64, &Add<Size64, CarryFlag>);
        HandlerTable.Register(Code.Adox_r32_rm32, &Add<Size32, OverflowFlag>);
        HandlerTable.Register(Code.Adox_r64_rm64, &Add<Size64, OverflowFlag>);
    }

    private interface IChainFlag
    {
        static abstract ulong Flag { get; }
    }

    private struct CarryFlag : IChainFlag
    {
        public static ulong Flag => Rflags.CF;
    }

    private struct OverflowFlag : IChainFlag
    {
        public static ulong Flag => Rflags.OF;
    }

    private static void Add<T, TF>(CpuCore c, ref Uop u) where T : struct, IOperandSize where TF : struct, IChainFlag
    {
        ulong src = Alu.ReadRm1<T>(c, ref u);
        ulong dst = T.Get(c, u.R0);
        c.MaterializeFlags();
        ulong carryIn = (c.RflagsBits & TF.Flag) != 0 ? 1UL : 0;
        ulong sum = dst + src + carryIn;
        bool carryOut = T.Bits == 64 ? sum < dst || (carryIn != 0 && sum == dst) : (sum >> 32) != 0;
        T.Set(c, u.R0, sum);
        Alu.SetStatusFlags(c, TF.Flag, Alu.If(carryOut, TF.Flag));
    }
}
