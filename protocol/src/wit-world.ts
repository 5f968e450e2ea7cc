/** The WIT world every function component targets (protocol/wit/nexus.wit); manifests name it. */
export const witWorld = 'nexus:function/function@0.1.0'
