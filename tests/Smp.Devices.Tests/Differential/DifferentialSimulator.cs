using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Tests.Cpu;
using Smp.Devices.Tests.HostOracle;

namespace Smp.Devices.Tests.Differential;

/// <summary>
/// The simulator's side of a differential test: runs the oracle's input on a 64-bit <see cref="TestMachine"/> with
/// the memory window copied to <see cref="TestMachine.DataBase"/>, and maps the result back to the oracle's addresses.
/// </summary>
internal static class DifferentialSimulator
{
    /// <summary>
    /// Loads the GPRs, RFLAGS and window of <paramref name="input"/> (RSP = <see cref="TestMachine.StackTop"/>, the base
    /// register <paramref name="baseIndex"/> = window + <paramref name="baseOffset"/>), lets <paramref name="prepare"/>
    /// set anything else, executes <paramref name="instr"/> once at <see cref="TestMachine.CodeBase"/> and returns GPRs,
    /// flags and window with RSP and the base register rebased to the host's addresses.
    /// </summary>
    public static MachineState RunOne(TestMachine machine, MachineState input, in Instruction instr, int baseIndex, int baseOffset, Action<CpuCore>? prepare = null)
    {
        var c = machine.Cpu;
        c.State = RunState.Running;
        for (int r = 0; r < 16; r++) c.R[r] = input.Gpr[r];
        c.R[Reg.RSP] = TestMachine.StackTop;
        c.R[baseIndex] = TestMachine.DataBase + (ulong)baseOffset;
        c.SetRflags(input.Rflags);
        c.Rip = TestMachine.CodeBase;
        prepare?.Invoke(c);
        // A HLT after the instruction ends the decoded block there (decoding stays cheap); Run(1) never reaches it.
        byte[] simCode = Asm.Encode(instr, TestMachine.CodeBase);
        machine.Memory.Load(TestMachine.CodeBase, simCode);
        machine.Memory.Load(TestMachine.CodeBase + (ulong)simCode.Length, [0xF4]);
        machine.Memory.Load(TestMachine.DataBase, input.Memory);
        c.FlushDecodeCache();
        machine.Run(1);

        var sim = new MachineState { Rflags = (c.GetRflags() & FlagsMask.Controllable) | 2 };
        for (int r = 0; r < 16; r++) sim.Gpr[r] = c.R[r];
        sim.Gpr[Reg.RSP] = c.R[Reg.RSP] - TestMachine.StackTop + HostCpu.InitialRsp;
        sim.Gpr[baseIndex] = c.R[baseIndex] - (TestMachine.DataBase + (ulong)baseOffset) + HostCpu.MemoryBase + (ulong)baseOffset;
        machine.Memory.Ram.Slice((int)TestMachine.DataBase, HostCpu.WindowSize).CopyTo(sim.Memory);
        return sim;
    }
}
