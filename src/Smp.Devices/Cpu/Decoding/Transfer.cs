namespace Smp.Devices.Cpu.Decoding;

/// <summary>How control reached the next block: what function tracking needs to tell a call from a jump and a return.</summary>
public enum Transfer : byte
{
    /// <summary>Fall-through, a jump or a branch (or the block was cut short).</summary>
    None,

    /// <summary>A near or far CALL: the callee returns with RET.</summary>
    Call,

    /// <summary>RET or RETF.</summary>
    Return,

    /// <summary>IRET: returns from an event handler.</summary>
    InterruptReturn,

    /// <summary>An exception or interrupt was delivered: the handler returns with IRET.</summary>
    Event,
}
