using Iced.Intel;

namespace Smp.Devices.Tests.HostOracle;

/// <summary>Builds instruction bytes for the oracle with Iced, always for IP = <see cref="HostCpu.InstructionAddress"/>.</summary>
public static class Asm
{
    /// <summary>
    /// Assembles with Iced's 64-bit <see cref="Assembler"/>, e.g. <c>Asm.Assemble(a =&gt; a.add(rax, rbx))</c>
    /// (with <c>using static Iced.Intel.AssemblerRegisters;</c>). Branches can target
    /// <see cref="HostCpu.BranchTargetForward"/>/<see cref="HostCpu.BranchTargetBackward"/> directly.
    /// </summary>
    public static byte[] Assemble(Action<Assembler> build)
    {
        var a = new Assembler(64);
        build(a);
        var ms = new MemoryStream();
        a.Assemble(new StreamCodeWriter(ms), HostCpu.InstructionAddress);
        return ms.ToArray();
    }

    /// <summary>Encodes one <see cref="Instruction"/> (e.g. from <c>Instruction.Create(...)</c>) at <see cref="HostCpu.InstructionAddress"/>.</summary>
    public static byte[] Encode(in Instruction instruction) => Encode(instruction, HostCpu.InstructionAddress);

    /// <summary>Encodes one 64-bit-mode <see cref="Instruction"/> for <paramref name="ip"/> (e.g. the simulator's copy of the instruction).</summary>
    public static byte[] Encode(in Instruction instruction, ulong ip)
    {
        var ms = new MemoryStream();
        var encoder = Encoder.Create(64, new StreamCodeWriter(ms));
        if (!encoder.TryEncode(instruction, ip, out _, out string? error))
            throw new ArgumentException($"Cannot encode {instruction}: {error}");
        return ms.ToArray();
    }

    /// <summary>Decodes one instruction at <see cref="HostCpu.InstructionAddress"/>.</summary>
    public static Instruction Decode(byte[] code)
    {
        var d = Decoder.Create(64, new ByteArrayCodeReader(code), HostCpu.InstructionAddress);
        d.Decode(out var instr);
        return instr;
    }
}
