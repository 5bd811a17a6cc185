using System.Reflection.Emit;
using Iced.Intel;
using FlowControl = Iced.Intel.FlowControl;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Cpu.Jit;

// A block's last instruction and where execution goes after it: near Jcc and JMP (targets are constants, checked when
// translating: a target beyond the CS limit or non-canonical is left to the handler, which faults), and in 64-bit mode
// PUSH/POP, CALL (followed into the callee when it is in the region) and RET (which continues at the call site only
// if the address it pops is the one the call pushed: a callee may have changed its return address).
internal sealed partial class RegionCompiler
{
    private bool TryEmitTerminator(ref Uop u)
    {
        var instr = u.Instr;
        var code = instr.Code;
        if (instr.FlowControl == FlowControl.Next)
        {
            if (!TryEmitInstruction(ref u)) return false;
            if (_touchedMemory) EmitAttentionCheck();
            EmitEdge(_node.Fall, _node.FallRip, Decoding.Transfer.None);
            return true;
        }
        if (!HandlerTable.IsImplemented(code)) return false;
        bool nearRelative = instr.Op0Kind is OpKind.NearBranch16 or OpKind.NearBranch32 or OpKind.NearBranch64;
        ulong target = (_nextIp + u.Imm) & RegionBuilder.BranchMask(code);
        switch (instr.FlowControl)
        {
            case FlowControl.ConditionalBranch when nearRelative && IsJcc(code, out int cc):
                if (!TargetValid(target, code)) return false;
                var taken = _il.DefineLabel();
                EmitCondition(cc);
                _il.Emit(OpCodes.Brtrue, taken);
                EmitEdge(_node.Fall, _node.FallRip, Decoding.Transfer.None);
                _il.MarkLabel(taken);
                EmitEdge(_node.Taken, target, Decoding.Transfer.None);
                return true;
            case FlowControl.UnconditionalBranch when nearRelative && instr.Mnemonic == Mnemonic.Jmp:
                if (!TargetValid(target, code)) return false;
                EmitEdge(_node.Taken, target, Decoding.Transfer.None);
                return true;
            case FlowControl.Call when code == Code.Call_rel32_64 && _region.Is64:
                if (!TargetValid(target, code)) return false;
                EmitCall(target);
                return true;
            case FlowControl.Return when code is Code.Retnq or Code.Retnq_imm16 && _region.Is64:
                EmitRet(ref u);
                return true;
        }
        return false;
    }

    private static bool IsJcc(Code code, out int cc)
    {
        int shortForm = (int)code - (int)Code.Jo_rel8_16, nearForm = (int)code - (int)Code.Jo_rel16;
        if (shortForm is >= 0 and < 48) { cc = shortForm / 3; return true; }
        if (nearForm is >= 0 and < 48) { cc = nearForm / 3; return true; }
        cc = 0;
        return false;
    }

    // The interpreter's CheckTarget, at translation time: non-canonical 64-bit targets and targets past the CS limit fault.
    private bool TargetValid(ulong target, Code code)
    {
        if (_region.Is64) return RegionBuilder.BranchMask(code) != ulong.MaxValue || (ulong)(((long)target << 16) >> 16) == target;
        return target <= _region.CsLimit;
    }

    private void EmitCall(ulong target)
    {
        // PUSH the return address, then continue at the target.
        var value = Temp();
        Ldc(_nextIp);
        _il.Emit(OpCodes.Stloc, value);
        EmitPush64(value);
        EmitAttentionExit(target, Decoding.Transfer.Call);
        EmitEdge(_node.Taken, target, Decoding.Transfer.Call);
    }

    private void EmitRet(ref Uop u)
    {
        var rsp = Reg64(Reg.RSP);
        var la = Temp();
        Copy(rsp, la);
        EmitStackCanonicalCheck(la);
        var target = Temp();
        EmitRead(la, 3, target);
        // A non-canonical return address is #GP(0) with RSP unchanged (CheckTarget).
        var fault = _il.DefineLabel();
        _il.Emit(OpCodes.Ldloc, target);
        _il.Emit(OpCodes.Ldc_I4, 16);
        _il.Emit(OpCodes.Shl);
        _il.Emit(OpCodes.Ldc_I4, 16);
        _il.Emit(OpCodes.Shr);
        _il.Emit(OpCodes.Ldloc, target);
        _il.Emit(OpCodes.Bne_Un, fault);
        EmitFaultStub(fault, Vector.GP);
        _il.Emit(OpCodes.Ldloc, la);
        Ldc(8L + (long)(u.Imm & 0xFFFF));
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Stloc, rsp);
        _written[Reg.RSP] = true;
        EmitAttentionExit(target, Decoding.Transfer.Return);
        if (_node.Taken is { } caller)
        {
            var elsewhere = _il.DefineLabel();
            _il.Emit(OpCodes.Ldloc, target);
            Ldc(caller.Rip);
            _il.Emit(OpCodes.Bne_Un, elsewhere);
            EmitEdge(caller, caller.Rip, Decoding.Transfer.Return);
            _il.MarkLabel(elsewhere);
        }
        EmitExitDynamic(target, Decoding.Transfer.Return);
    }

    // After a transfer that touched memory: a slow path that asked for attention ends the region at the target.
    private void EmitAttentionExit(ulong target, Decoding.Transfer transfer)
    {
        var go = _il.DefineLabel();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, AttentionField);
        _il.Emit(OpCodes.Brfalse, go);
        EmitExit(target, 0, transfer);
        _il.MarkLabel(go);
    }

    private void EmitAttentionExit(LocalBuilder target, Decoding.Transfer transfer)
    {
        var go = _il.DefineLabel();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, AttentionField);
        _il.Emit(OpCodes.Brfalse, go);
        EmitExitDynamic(target, transfer);
        _il.MarkLabel(go);
    }

    /// <summary>Leaves for the RIP in <paramref name="target"/> (a cold stub writes the state back).</summary>
    private void EmitExitDynamic(LocalBuilder target, Decoding.Transfer transfer)
    {
        var stub = _il.DefineLabel();
        _il.Emit(OpCodes.Br, stub);
        var flags = _flags;
        Cold(() =>
        {
            _il.MarkLabel(stub);
            EmitExitToLocal(target, 0, transfer, flags);
        });
    }

    // ---- PUSH and POP (64-bit mode, 64-bit operands) -------------------------------------------------------

    private bool EmitPush(ref Uop u)
    {
        var instr = u.Instr;
        if (!_region.Is64 || instr.Code is not (Code.Push_r64 or Code.Pushq_imm32 or Code.Pushq_imm8)) return false;
        // PUSH RSP pushes the value before the decrement (SDM Vol. 2B PUSH).
        var value = Temp();
        if (instr.Code == Code.Push_r64) LoadReg(u.R0, 3);
        else Ldc(u.Imm);
        _il.Emit(OpCodes.Stloc, value);
        EmitPush64(value);
        return true;
    }

    // Pushes a quadword: the checks and the store happen before RSP moves, so a fault leaves RSP as it was.
    private void EmitPush64(LocalBuilder value)
    {
        var rsp = Reg64(Reg.RSP);
        var top = Temp();
        _il.Emit(OpCodes.Ldloc, rsp);
        Ldc(8L);
        _il.Emit(OpCodes.Sub);
        _il.Emit(OpCodes.Stloc, top);
        EmitStackCanonicalCheck(top);
        EmitWrite(top, 3, value);
        Copy(top, rsp);
        _written[Reg.RSP] = true;
    }

    private bool EmitPop(ref Uop u)
    {
        if (!_region.Is64 || u.Instr.Code != Code.Pop_r64) return false;
        // RSP advances first, then the register is written, so POP RSP loads the popped value.
        var rsp = Reg64(Reg.RSP);
        var la = Temp();
        Copy(rsp, la);
        EmitStackCanonicalCheck(la);
        var value = Temp();
        EmitRead(la, 3, value);
        _il.Emit(OpCodes.Ldloc, la);
        Ldc(8L);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Stloc, rsp);
        _written[Reg.RSP] = true;
        StoreReg(u.R0, 3, value);
        return true;
    }
}
