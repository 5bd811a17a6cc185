using Iced.Intel;

namespace Smp.Devices.Cpu.Decoding;

/// <summary>Turns an Iced <see cref="Instruction"/> into a <see cref="Uop"/> ready to execute.</summary>
public static unsafe class UopBuilder
{
    /// <summary>Fills <paramref name="u"/> from <paramref name="instr"/>.</summary>
    public static void Build(in Instruction instr, ref Uop u)
    {
        u = default;
        u.Instr = instr;
        u.Exec = HandlerTable.Get(instr.Code);
        u.Length = (byte)instr.Length;
        u.R0 = u.R1 = u.R2 = Reg.None;
        u.Base = u.Index = Reg.None;
        u.AddrMask = ulong.MaxValue;
        ulong nextIp = instr.NextIP;
        int opCount = instr.OpCount;
        bool haveImm = false;
        for (int i = 0; i < opCount; i++)
        {
            var kind = instr.GetOpKind(i);
            switch (kind)
            {
                case OpKind.Register:
                    byte r = RegisterMap.Of(instr.GetOpRegister(i));
                    if (i == 0) u.R0 = r; else if (i == 1) u.R1 = r; else if (i == 2) u.R2 = r;
                    break;
                case OpKind.Memory:
                    BuildMemory(in instr, ref u, nextIp);
                    break;
                case OpKind.NearBranch16:
                case OpKind.NearBranch32:
                case OpKind.NearBranch64:
                    u.Imm = instr.NearBranchTarget - nextIp;
                    break;
                case OpKind.FarBranch16:
                    u.Imm = instr.FarBranch16; u.Imm2 = instr.FarBranchSelector;
                    break;
                case OpKind.FarBranch32:
                    u.Imm = instr.FarBranch32; u.Imm2 = instr.FarBranchSelector;
                    break;
                case OpKind.Immediate8_2nd:
                    u.Imm2 = instr.Immediate8_2nd;
                    break;
                case OpKind.Immediate8:
                case OpKind.Immediate16:
                case OpKind.Immediate32:
                case OpKind.Immediate64:
                case OpKind.Immediate8to16:
                case OpKind.Immediate8to32:
                case OpKind.Immediate8to64:
                case OpKind.Immediate32to64:
                    if (!haveImm) { u.Imm = instr.GetImmediate(i); haveImm = true; }
                    else u.Imm2 = instr.GetImmediate(i);
                    break;
                default:
                    // String operands (MemorySegRSI, MemoryESRDI, ...): the handler reads the address size from the code.
                    if (kind is >= OpKind.MemorySegSI and <= OpKind.MemoryESRDI)
                        u.Seg = (byte)RegisterMap.Of(instr.MemorySegment);
                    break;
            }
        }
    }

    private static void BuildMemory(in Instruction instr, ref Uop u, ulong nextIp)
    {
        var baseReg = instr.MemoryBase;
        var indexReg = instr.MemoryIndex;
        u.Seg = RegisterMap.Of(instr.MemorySegment);
        u.Scale = (byte)(instr.MemoryIndexScale switch { 1 => 0, 2 => 1, 4 => 2, _ => 3 });
        int addrSize;
        if (baseReg is Register.RIP or Register.EIP)
        {
            addrSize = baseReg == Register.RIP ? 8 : 4;
            u.RipRelativeMask = ulong.MaxValue;
            u.Disp = (long)(instr.MemoryDisplacement64 - nextIp);
        }
        else
        {
            u.Base = RegisterMap.Of(baseReg);
            u.Disp = (long)instr.MemoryDisplacement64;
            addrSize = baseReg != Register.None ? baseReg.GetSize()
                : indexReg != Register.None ? indexReg.GetSize()
                : instr.MemoryDisplSize;
        }
        if (indexReg != Register.None) u.Index = RegisterMap.Of(indexReg);
        if (addrSize == 0) addrSize = instr.CodeSize switch { CodeSize.Code16 => 2, CodeSize.Code32 => 4, _ => 8 };
        u.AddrMask = addrSize switch { 2 => 0xFFFF, 4 => 0xFFFF_FFFF, _ => ulong.MaxValue };
    }
}
