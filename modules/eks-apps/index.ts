export { applicationObjects, MeshApplication, principal, type MeshApplicationProps } from "./application";
export { emitManifest, type KubernetesModel } from "./manifest";
export { IstioMesh, AUTO_MODE_ALB_CONTROLLER, type IstioMeshProps } from "./mesh";
export { DEFAULT_STORAGE_CLASS, namespaceObject, storageClassObject, type PlatformNamespace } from "./namespaces";
export { dashboardFiles, Observability, RELEASES, type ObservabilityProps } from "./observability";
export { chartRelease, type ChartReleaseProps } from "./release";
export { authorityMatch, publicRoutes, uriMatch, type PublicRoute } from "./routes";
export { IngressClassParams } from "./ingress-class-params";
