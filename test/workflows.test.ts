import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Testing } from "cdktf";
import { DEFAULT_APPLY_WORKFLOWS, DEFAULT_FRONTEND_WORKFLOW, DEFAULT_PLAN_WORKFLOWS } from "../modules/github-oidc";
import { buildApp } from "../src/app";
import { appsStackName } from "../src/stacks/apps";
import { environments, synthStack } from "./helpers";
import { decide } from "./iam-model";

/** The parts of a GitHub Actions workflow these tests read. */
interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
  "working-directory"?: string;
}
interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string };
  concurrency?: string | { group: string; "cancel-in-progress"?: boolean };
  permissions?: string | Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, any>;
  permissions?: string | Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const ROOT = join(__dirname, "..");
const DIR = join(ROOT, ".github", "workflows");
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const text = Object.fromEntries(files.map((f) => [f, readFileSync(join(DIR, f), "utf8")]));
const workflows: Record<string, Workflow> = Object.fromEntries(files.map((f) => [f, parse(text[f]) as Workflow]));
const scripts = Object.keys((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
const synthOutput = (JSON.parse(readFileSync(join(ROOT, "cdktf.json"), "utf8")) as { output: string }).output;
const workspaceNames = environments().map((e) => e.name).sort();
/** The workspaces that serve a frontend: the ones frontend.yml deploys. */
const frontendWorkspaces = environments().filter((e) => e.frontend.enabled).map((e) => e.name).sort();

const ci = workflows["ci.yml"];
const deploy = workflows["deploy.yml"];
const image = workflows["image.yml"];
const frontend = workflows["frontend.yml"];

const allJobs = () => Object.entries(workflows).flatMap(([file, wf]) => Object.entries(wf.jobs).map(([id, job]) => ({ file, id, job })));
const usesOf = (job: Job, action: string) => job.steps.filter((s) => s.uses?.startsWith(`${action}@`));
const runs = (job: Job) => job.steps.map((s) => s.run ?? "").join("\n");
const usesOidc = (job: Job) => usesOf(job, "aws-actions/configure-aws-credentials").length > 0;
const needsOf = (job: Job) => [job.needs ?? []].flat();
const concurrencyOf = (job: Job) => (typeof job.concurrency === "string" ? { group: job.concurrency } : job.concurrency);
/** Index of the first step whose command matches. */
const stepIndex = (job: Job, pattern: RegExp) => job.steps.findIndex((s) => pattern.test(s.run ?? ""));
const applyJobs = { dev: deploy.jobs["apply-dev"], prod: deploy.jobs["apply-prod"], "staging-eks": deploy.jobs["apply-staging-eks"] };
/** Workspaces with `compute: "eks"`: each is two stacks, `<name>` and `<name>-apps`. */
const eksWorkspaces = environments().filter((e) => e.compute === "eks").map((e) => e.name);
const stackFolder = (stack: string) => `${synthOutput}/stacks/${stack}`;
/** The folders an apply job of workspace `ws` may run Terraform in: its stack's, and its apps stack's on EKS. */
const applyFolders = (ws: string) => [stackFolder(ws), ...(eksWorkspaces.includes(ws) ? [stackFolder(appsStackName(ws))] : [])];
/** The Terraform steps of a job that run anywhere but in `folders`. */
const terraformStepsOutside = (job: Job, folders: string[]) =>
  job.steps.filter((s) => /terraform /.test(s.run ?? "") && !folders.includes(s["working-directory"] ?? "")).map((s) => `${s.name ?? s.run}: ${s["working-directory"]}`);
/** Steps that run in a folder. */
const stepsIn = (job: Job, folder: string) => job.steps.filter((s) => s["working-directory"] === folder);

describe("workflow files", () => {
  it("are the four the platform documents, and each parses", () => {
    expect(files).toEqual(["ci.yml", "deploy.yml", "frontend.yml", "image.yml"]);
    for (const wf of Object.values(workflows)) {
      expect(typeof wf.name).toBe("string");
      expect(Object.keys(wf.jobs).length).toBeGreaterThan(0);
    }
  });

  it("run Terraform and cdktf without calling home", () => {
    for (const wf of Object.values(workflows)) {
      expect(String(wf.env?.CHECKPOINT_DISABLE)).toBe("1");
    }
  });
});

describe("triggers", () => {
  it("ci.yml runs on pull requests and by hand", () => {
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "workflow_dispatch"]);
  });

  it("deploy.yml runs on pushes to main and by hand", () => {
    expect(Object.keys(deploy.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(deploy.on.push).toEqual({ branches: ["main"] });
  });

  it("image.yml is reusable (workspace, repository = web) and runs by hand", () => {
    expect(Object.keys(image.on).sort()).toEqual(["workflow_call", "workflow_dispatch"]);
    const call = image.on.workflow_call.inputs;
    expect(call.workspace).toMatchObject({ type: "string", required: true });
    expect(call.repository).toMatchObject({ type: "string", default: "web" });
    const dispatch = image.on.workflow_dispatch.inputs;
    expect(dispatch.workspace).toMatchObject({ type: "choice", required: true });
    expect([...dispatch.workspace.options].sort()).toEqual(workspaceNames);
    expect(dispatch.repository).toMatchObject({ default: "web" });
  });
});

describe("permissions", () => {
  it("grant contents: read at the top of every workflow and nothing more", () => {
    for (const wf of Object.values(workflows)) {
      expect(wf.permissions).toEqual({ "contents": "read" });
    }
  });

  it("give id-token: write exactly to the jobs that assume an AWS role", () => {
    const withOidc = allJobs().filter(({ job }) => usesOidc(job)).map(({ file, id }) => `${file}:${id}`);
    expect(withOidc.sort()).toEqual(["ci.yml:plan", "deploy.yml:apply-dev", "deploy.yml:apply-prod", "deploy.yml:apply-staging-eks", "frontend.yml:deploy-dev", "frontend.yml:deploy-prod", "image.yml:deploy"]);
    for (const { job } of allJobs()) {
      const permissions = job.permissions;
      if (usesOidc(job)) {
        expect(permissions).toEqual({ "contents": "read", "id-token": "write" });
      } else {
        // Either inherited from the workflow (contents: read) or spelled out without id-token.
        expect(typeof permissions === "object" ? permissions["id-token"] ?? "none" : "none").toBe("none");
      }
      expect(permissions).not.toBe("write-all");
      if (typeof permissions === "object") {
        for (const [scope, level] of Object.entries(permissions)) {
          if (scope !== "id-token") expect(level).not.toBe("write");
        }
      }
    }
  });
});

describe("commands", () => {
  it("use only npm scripts package.json defines", () => {
    const used = Object.values(text).flatMap((t) => [...t.matchAll(/npm run (?:--[\w-]+ )*([\w:-]+)/g)].map((m) => m[1]));
    expect(used.length).toBeGreaterThan(0);
    for (const script of used) {
      expect(scripts, `npm run ${script}`).toContain(script);
    }
  });

  it("install with npm ci on Node 20 with the npm cache", () => {
    for (const { job } of allJobs()) {
      if (!/npm /.test(runs(job))) continue;
      expect(runs(job)).toContain("npm ci");
      expect(usesOf(job, "actions/setup-node").map((s) => s.with)).toEqual([{ "node-version": 20, "cache": "npm" }]);
    }
  });

  it("pin Terraform 1.11.4 wherever Terraform runs", () => {
    for (const { job } of allJobs()) {
      if (!/terraform /.test(runs(job))) continue;
      expect(usesOf(job, "hashicorp/setup-terraform").map((s) => s.with)).toEqual([{ terraform_version: "1.11.4", terraform_wrapper: false }]);
    }
  });

  it("run the tests before anything plans or applies", () => {
    for (const wf of [ci, deploy]) {
      expect(runs(wf.jobs.test)).toMatch(/^npm test$/m);
      expect(usesOf(wf.jobs.test, "actions/checkout")).toHaveLength(1);
    }
    expect(needsOf(ci.jobs.plan)).toEqual(["test"]);
    expect(needsOf(deploy.jobs["apply-dev"])).toEqual(["test"]);
  });

  it("ci.yml initializes and validates every synthesized stack with network, after the offline tier", () => {
    const test = ci.jobs.test;
    const validate = stepIndex(test, /terraform -chdir="\$stack" validate/);
    expect(validate).toBeGreaterThan(stepIndex(test, /^npm test$/m));
    const script = test.steps[validate].run!;
    expect(script).toContain(`for stack in ${synthOutput}/stacks/*/; do`);
    // No backend: validation needs no state and no AWS credentials.
    expect(script).toContain('terraform -chdir="$stack" init -backend=false -input=false');
    expect(usesOidc(test)).toBe(false);
  });

  it("work in the synthesized stack folder of the workspace (and, for an EKS workspace's apply job, its apps stack's)", () => {
    const expected = (ws: string) => `${synthOutput}/stacks/${ws}`;
    for (const step of ci.jobs.plan.steps.filter((s) => /terraform /.test(s.run ?? ""))) {
      expect(step["working-directory"]).toBe(expected("${{ matrix.workspace }}"));
    }
    expect(eksWorkspaces).toEqual(["staging-eks"]);
    expect(applyFolders("staging-eks")).toEqual([expected("staging-eks"), expected("staging-eks-apps")]);
    expect(applyFolders("dev")).toEqual([expected("dev")]);
    for (const [ws, job] of Object.entries(applyJobs)) {
      expect(terraformStepsOutside(job, applyFolders(ws)), ws).toEqual([]);
    }
    for (const step of image.jobs.deploy.steps.filter((s) => /terraform /.test(s.run ?? ""))) {
      expect(step["working-directory"]).toBe(expected("${{ inputs.workspace }}"));
    }
  });

  it("the folder check refuses any other folder: another workspace's, an ECS workspace's -apps, a missing one", () => {
    const step = (folder?: string): Job => ({ steps: [{ run: "terraform plan -out=tfplan", ...(folder === undefined ? {} : { "working-directory": folder }) }] });
    expect(terraformStepsOutside(step(stackFolder("staging-eks-apps")), applyFolders("staging-eks"))).toEqual([]);
    for (const [ws, folder] of [
      ["staging-eks", stackFolder("prod")],
      ["staging-eks", stackFolder("prod-apps")],
      ["staging-eks", stackFolder("staging-eks-apps/..")],
      ["staging-eks", `${synthOutput}/stacks`],
      ["dev", stackFolder("dev-apps")],
      ["dev", stackFolder("staging-eks-apps")],
      ["prod", undefined],
    ] as const) {
      expect(terraformStepsOutside(step(folder), applyFolders(ws)), `${ws} in ${folder}`).toHaveLength(1);
    }
  });
});

describe("ci.yml plan", () => {
  const plan = ci.jobs.plan;

  it("plans every workspace, pull requests only, with the plan role and no GitHub environment", () => {
    expect(plan.strategy?.matrix?.workspace).toEqual(["dev", "prod", "staging-eks"]);
    expect([...(plan.strategy?.matrix?.workspace as string[])].sort()).toEqual(workspaceNames);
    // The plan roles trust pull-request subjects, which a job in an environment does not get.
    expect(plan.environment).toBeUndefined();
    expect(plan.if).toBe("github.event_name == 'pull_request'");
    // Each workspace's account has its own plan role.
    expect(usesOf(plan, "aws-actions/configure-aws-credentials")[0].with).toMatchObject({
      "role-to-assume": "${{ steps.plan-role.outputs.arn }}",
      "aws-region": "${{ vars.AWS_REGION }}",
    });
  });

  it("takes the workspace's plan role from AWS_PLAN_ROLE_ARNS and stops with one clear error when it is missing", () => {
    const step = plan.steps.find((s) => s.id === "plan-role")!;
    expect(step.env).toEqual({ PLAN_ROLE_ARNS: "${{ vars.AWS_PLAN_ROLE_ARNS }}" });
    const output = join(mkdtempSync(join(tmpdir(), "gh-output-")), "output");
    const run = (arns: string) => {
      writeFileSync(output, "");
      return spawnSync("bash", ["-e", "-c", step.run!], { encoding: "utf8", env: { ...process.env, WORKSPACE: "prod", PLAN_ROLE_ARNS: arns, GITHUB_OUTPUT: output } });
    };
    const good = run('{"dev": "arn:aws:iam::111122223333:role/acme-bootstrap-github-plan", "prod": "arn:aws:iam::444455556666:role/acme-bootstrap-github-plan"}');
    expect(good.stderr).toBe("");
    expect(good.status).toBe(0);
    expect(readFileSync(output, "utf8").trim()).toBe("arn=arn:aws:iam::444455556666:role/acme-bootstrap-github-plan");
    for (const bad of ["", "not json", '{"dev": "arn:aws:iam::111122223333:role/x"}', '{"prod": 5}']) {
      const refused = run(bad);
      expect(refused.status, bad).toBe(1);
      expect(refused.stdout.trim()).toBe('::error::AWS_PLAN_ROLE_ARNS must be a JSON object with the key "prod" (the plan role ARN of its account\'s bootstrap stack)');
    }
  });

  it("synthesizes, inits, plans with locking and the deployed image tag, and saves the plan", () => {
    const script = runs(plan);
    expect(script).toMatch(/^npm run synth$/m);
    expect(script).toMatch(/^terraform init -input=false$/m);
    const planCommand = plan.steps.find((s) => /^terraform plan /.test(s.run ?? ""))!.run!;
    for (const flag of ["-input=false", "-lock-timeout=5m", '-var "image_tag=${IMAGE_TAG}"', "-out=tfplan"]) {
      expect(planCommand).toContain(flag);
    }
    const planStep = plan.steps.find((s) => /^terraform plan /.test(s.run ?? ""))!;
    expect(planStep.env).toEqual({ IMAGE_TAG: "${{ steps.image.outputs.tag }}" });
    expect(plan.steps.find((s) => s.id === "image")!.run).toContain("terraform show -json");
    expect(script).toContain("terraform show -no-color tfplan > plan.txt");
    expect(stepIndex(plan, /^terraform init/)).toBeLessThan(stepIndex(plan, /^terraform plan/));
  });

  it("writes the Plan: line and the full plan in a details block to the step summary", () => {
    const summary = plan.steps.find((s) => s.name === "Plan summary")!.run!;
    expect(summary).toContain("grep -E '^(Plan:|No changes\\.)' plan.txt");
    expect(summary).toContain("<details>");
    expect(summary).toContain("</details>");
    expect(summary).toContain('>> "$GITHUB_STEP_SUMMARY"');
  });

  it("uploads tfplan and plan.txt as plan-<workspace>-<sha>", () => {
    const [upload] = usesOf(plan, "actions/upload-artifact");
    expect(upload.with?.name).toBe("plan-${{ matrix.workspace }}-${{ github.sha }}");
    const paths = String(upload.with?.path).trim().split("\n").map((p) => p.trim());
    expect(paths).toEqual([`${synthOutput}/stacks/\${{ matrix.workspace }}/tfplan`, `${synthOutput}/stacks/\${{ matrix.workspace }}/plan.txt`]);
    expect(upload.with?.["retention-days"]).toBeLessThanOrEqual(7);
  });
});

describe("ci.yml cost estimate", () => {
  const plan = ci.jobs.plan;
  const step = plan.steps.find((s) => s.name === "Cost estimate")!;

  it("checks out the base branch beside the change and estimates before any AWS credentials exist in the job", () => {
    const base = usesOf(plan, "actions/checkout").find((s) => s.with?.path === ".base");
    expect(base?.with).toEqual({ "persist-credentials": false, ref: "${{ github.event.pull_request.base.sha }}", path: ".base" });
    const synth = plan.steps.findIndex((s) => s.run === "npm run synth");
    const credentials = plan.steps.findIndex((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    expect(plan.steps.indexOf(base!)).toBeGreaterThan(synth);
    expect(plan.steps.indexOf(step)).toBeGreaterThan(plan.steps.indexOf(base!));
    // A failed plan no longer hides the estimate, and the base branch's install scripts never see the plan role.
    expect(plan.steps.indexOf(step)).toBeLessThan(credentials);
  });

  /** Runs the step's script with a stand-in `npm` that records its calls and prints canned output. */
  function runStep(options: { baseHasTool: boolean; status?: number }) {
    const dir = mkdtempSync(join(tmpdir(), "cost-step-"));
    const bin = join(dir, "bin");
    spawnSync("mkdir", ["-p", bin, join(dir, ".base", "src", "tools")]);
    if (options.baseHasTool) writeFileSync(join(dir, ".base", "src", "tools", "cost.ts"), "");
    writeFileSync(
      join(bin, "npm"),
      [
        "#!/usr/bin/env bash",
        'echo "$PWD|$*" >> "$CALLS"',
        'case "$*" in',
        '  *--json*) echo \'{"currency":"USD","stacks":[]}\'; exit "${FAKE_STATUS:-0}" ;;',
        '  *--markdown*) echo "MARKDOWN $*" ;;',
        "esac",
      ].join("\n"),
      { mode: 0o755 },
    );
    const summary = join(dir, "summary.md");
    const calls = join(dir, "calls.txt");
    writeFileSync(summary, "");
    writeFileSync(calls, "");
    const result = spawnSync("bash", ["-eo", "pipefail", "-c", step.run!], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, WORKSPACE: "prod", GITHUB_STEP_SUMMARY: summary, CALLS: calls, FAKE_STATUS: String(options.status ?? 0) },
    });
    return { status: result.status, summary: readFileSync(summary, "utf8"), calls: readFileSync(calls, "utf8").trim().split("\n"), stdout: result.stdout, dir };
  }

  it("posts the workspace's estimate with the change against the base branch", () => {
    const { status, summary, calls, dir } = runStep({ baseHasTool: true });
    expect(status).toBe(0);
    expect(calls).toEqual([
      `${dir}|run --silent cost -- --workspace prod --json`,
      `${join(dir, ".base")}|ci --no-audit --no-fund`,
      `${join(dir, ".base")}|run --silent cost -- --workspace prod --json`,
      `${dir}|run --silent cost -- --workspace prod --markdown --baseline cost-main.json`,
    ]);
    expect(summary).toBe("MARKDOWN run --silent cost -- --workspace prod --markdown --baseline cost-main.json\n");
  });

  it("posts the estimate alone when the base branch has no estimator", () => {
    const { status, summary, stdout } = runStep({ baseHasTool: false });
    expect(status).toBe(0);
    expect(summary).toBe("MARKDOWN run --silent cost -- --workspace prod --markdown\n");
    expect(stdout).toContain("::notice::No cost estimate of the base branch");
  });

  it("fails the job when the estimate exceeds the budget, after writing the summary", () => {
    const { status, summary } = runStep({ baseHasTool: false, status: 1 });
    expect(status).toBe(1);
    expect(summary).toContain("MARKDOWN");
  });
});

describe("deploy.yml", () => {
  it("applies dev, then prod and staging-eks, each in its own GitHub environment", () => {
    expect(Object.keys(deploy.jobs)).toEqual(["test", "apply-dev", "apply-staging-eks", "apply-prod"]);
    expect(applyJobs.dev.environment).toBe("dev");
    expect(applyJobs.prod.environment).toBe("prod");
    expect(applyJobs["staging-eks"].environment).toBe("staging-eks");
    expect(needsOf(applyJobs.prod)).toEqual(["apply-dev"]);
    expect(needsOf(applyJobs["staging-eks"])).toEqual(["apply-dev"]);
    expect(Object.keys(applyJobs).sort()).toEqual(workspaceNames);
  });

  it("never runs two Terraform jobs of one workspace at once and never cancels one", () => {
    for (const [ws, job] of Object.entries(applyJobs)) {
      expect(concurrencyOf(job)).toEqual({ group: `terraform-${ws}`, "cancel-in-progress": false });
    }
  });

  it("assumes the environment's apply role through OIDC", () => {
    for (const job of Object.values(applyJobs)) {
      expect(usesOf(job, "aws-actions/configure-aws-credentials")[0].with).toMatchObject({
        "role-to-assume": "${{ vars.AWS_APPLY_ROLE_ARN }}",
        "aws-region": "${{ vars.AWS_REGION }}",
      });
    }
  });

  it("plans this commit again and applies exactly that plan", () => {
    for (const job of Object.values(applyJobs)) {
      const script = runs(job);
      expect(script).toMatch(/^npm run synth$/m);
      expect(script).toMatch(/^terraform init -input=false$/m);
      expect(script).toMatch(/^terraform plan -input=false -lock-timeout=5m -var "image_tag=\$\{IMAGE_TAG\}" -out=tfplan$/m);
      expect(script).toMatch(/^terraform apply -input=false -lock-timeout=5m tfplan$/m);
      expect(stepIndex(job, /^terraform init/)).toBeLessThan(stepIndex(job, /^terraform plan/));
      expect(stepIndex(job, /^terraform plan/)).toBeLessThan(stepIndex(job, /^terraform apply/));
      expect(script).not.toContain("-auto-approve");
    }
  });
});

describe("deploy.yml: the apps stack of an EKS workspace", () => {
  it("is applied in the same job right after the AWS stack: init with the synthesized backend, plan -out, apply of that plan", () => {
    for (const ws of eksWorkspaces) {
      const job = deploy.jobs[`apply-${ws}`];
      const apps = stepsIn(job, stackFolder(appsStackName(ws)));
      const aws = stepsIn(job, stackFolder(ws));
      const commands = apps.map((s) => s.run ?? "");
      // Initialized with the backend block synthesis wrote (no -backend=false, no -backend-config).
      expect(commands).toContain("terraform init -input=false");
      const plan = apps.find((s) => /^terraform plan /m.test(s.run ?? ""))!;
      expect(plan.run).toMatch(/^terraform plan -input=false -lock-timeout=5m -var "image_tag=\$\{IMAGE_TAG\}" -out=tfplan$/m);
      expect(plan.env).toEqual({ IMAGE_TAG: "${{ steps.apps-image.outputs.tag }}" });
      expect(commands).toContain("terraform apply -input=false -lock-timeout=5m tfplan");
      const index = (step: Step | undefined) => job.steps.indexOf(step!);
      const awsApply = index(aws.find((s) => /^terraform apply /.test(s.run ?? "")));
      const appsInit = index(apps.find((s) => /^terraform init /.test(s.run ?? "")));
      const appsApply = index(apps.find((s) => /^terraform apply /.test(s.run ?? "")));
      expect(awsApply).toBeGreaterThan(-1);
      expect(appsInit).toBeGreaterThan(awsApply);
      expect(index(plan)).toBeGreaterThan(appsInit);
      expect(appsApply).toBeGreaterThan(index(plan));
      // The apps stack's steps come last: nothing of the AWS stack runs after them.
      expect(job.steps.slice(appsInit).every((s) => s["working-directory"] === stackFolder(appsStackName(ws)))).toBe(true);
      // The first (targeted) apply is a manual step: the workflow never targets, never auto-approves.
      for (const command of commands) {
        expect(command).not.toContain("-auto-approve");
        expect(command).not.toContain("-target");
      }
    }
  });

  it("keeps the apps stack's image: its tag comes from the apps stack's own state", () => {
    for (const ws of eksWorkspaces) {
      const job = deploy.jobs[`apply-${ws}`];
      const step = job.steps.find((s) => s.id === "apps-image")!;
      expect(step["working-directory"]).toBe(stackFolder(appsStackName(ws)));
      expect(step.run).toContain('select(.type? == "kubernetes_manifest")');
      expect(job.steps.indexOf(step)).toBeLessThan(job.steps.findIndex((s) => s.name === "terraform plan (apps stack)"));
    }
  });

  /** Runs a step's script with a stand-in `terraform` whose `show -json` prints `state`. */
  function runWithState(script: string, state: unknown) {
    const dir = mkdtempSync(join(tmpdir(), "apps-step-"));
    const bin = join(dir, "bin");
    spawnSync("mkdir", ["-p", bin]);
    writeFileSync(join(bin, "terraform"), `#!/usr/bin/env bash\ncat "${join(dir, "state.json")}"\n`, { mode: 0o755 });
    writeFileSync(join(dir, "state.json"), JSON.stringify(state));
    const output = join(dir, "output");
    writeFileSync(output, "");
    const result = spawnSync("bash", ["-e", "-c", script], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, WORKSPACE: "staging-eks", INITIAL_IMAGE_TAG: "initial", GITHUB_OUTPUT: output },
    });
    return { status: result.status, stdout: result.stdout, output: readFileSync(output, "utf8").trim() };
  }
  const hasJq = spawnSync("jq", ["--version"]).status === 0;
  const applied = {
    values: {
      root_module: {
        resources: [
          { type: "helm_release", values: { name: "istio-base" } },
          { type: "kubernetes_manifest", values: { manifest: { kind: "Service", spec: { type: "ClusterIP" } } } },
          {
            type: "kubernetes_manifest",
            values: {
              manifest: {
                kind: "Deployment",
                spec: { template: { spec: { containers: [{ image: "555566667777.dkr.ecr.us-east-1.amazonaws.com/acme-staging-eks-web:0123abc" }] } } },
              },
            },
          },
        ],
      },
    },
  };

  it.skipIf(!hasJq)("stops with one clear error while Istio's CRDs are not installed, and reads the deployed tag", () => {
    const job = deploy.jobs["apply-staging-eks"];
    const guard = job.steps.find((s) => s.name === "Istio CRDs installed (apps stack)")!;
    expect(job.steps.indexOf(guard)).toBeLessThan(job.steps.findIndex((s) => s.name === "terraform plan (apps stack)"));
    const fresh = runWithState(guard.run!, { format_version: "1.0" });
    expect(fresh.status).toBe(1);
    expect(fresh.stdout.trim()).toMatch(/^::error::staging-eks-apps has no Istio base release yet: install the CRDs once by hand \(README/);
    expect(runWithState(guard.run!, applied).status).toBe(0);

    const tag = job.steps.find((s) => s.id === "apps-image")!.run!;
    expect(runWithState(tag, applied).output).toBe("tag=0123abc");
    const first = runWithState(tag, { format_version: "1.0" });
    expect(first.output).toBe("tag=initial");
    expect(first.stdout).toContain("::notice::No application image deployed in staging-eks-apps yet");
  });

  it("is not applied by the ECS workspaces' jobs", () => {
    for (const [ws, job] of Object.entries(applyJobs)) {
      if (eksWorkspaces.includes(ws)) continue;
      expect(job.steps.some((s) => /-apps$/.test(s["working-directory"] ?? ""))).toBe(false);
    }
  });
});

describe("image.yml", () => {
  const { build, deploy: rollout } = image.jobs;

  it("builds with buildx, without AWS credentials, tagged with the commit SHA", () => {
    expect(usesOf(build, "docker/setup-buildx-action")).toHaveLength(1);
    const [buildPush] = usesOf(build, "docker/build-push-action");
    expect(buildPush.with?.tags).toBe("app:${{ github.sha }}");
    expect(buildPush.with?.push).toBe(false);
    expect(usesOidc(build)).toBe(false);
  });

  it("applies only once every repository of the workspace has the commit's image", () => {
    const names = rollout.steps.map((s) => s.name ?? s.uses);
    const check = rollout.steps.find((s) => s.id === "complete")!;
    expect(check.run).toContain("terraform output -json ecr_repository_urls");
    expect(check.run).toContain('aws ecr describe-images --repository-name "$name" --image-ids "imageTag=${IMAGE_TAG}"');
    expect(names.indexOf(check.name)).toBeLessThan(names.indexOf("terraform plan"));
    for (const step of rollout.steps.filter((s) => s.name === "terraform plan" || s.name === "terraform apply")) {
      expect(step.if).toBe("steps.complete.outputs.apply == 'true'");
    }
  });

  it("pushes <repository URL>:<sha> after logging in to ECR, the URL coming from the workspace's outputs", () => {
    expect(usesOf(rollout, "aws-actions/amazon-ecr-login")).toHaveLength(1);
    expect(rollout.env?.IMAGE_TAG).toBe("${{ github.sha }}");
    const script = runs(rollout);
    expect(script).toContain("terraform output -json ecr_repository_urls");
    expect(script).toContain('docker push "${REPOSITORY_URL}:${IMAGE_TAG}"');
    const login = rollout.steps.findIndex((s) => s.uses?.startsWith("aws-actions/amazon-ecr-login@"));
    expect(login).toBeLessThan(stepIndex(rollout, /docker push/));
  });

  it("deploys the new tag with terraform apply -var image_tag=<sha>, in the workspace's environment and lock group", () => {
    expect(rollout.environment).toBe("${{ inputs.workspace }}");
    expect(needsOf(rollout)).toEqual(["build"]);
    expect(concurrencyOf(rollout)).toEqual({ group: "terraform-${{ inputs.workspace }}", "cancel-in-progress": false });
    const script = runs(rollout);
    expect(script).toMatch(/^terraform plan -input=false -lock-timeout=5m -var "image_tag=\$\{\{ github\.sha \}\}" -out=tfplan$/m);
    expect(script).toMatch(/^terraform apply -input=false -lock-timeout=5m tfplan$/m);
    expect(stepIndex(rollout, /docker push/)).toBeLessThan(stepIndex(rollout, /^terraform apply/));
    expect(usesOf(rollout, "aws-actions/configure-aws-credentials")[0].with).toMatchObject({
      "role-to-assume": "${{ vars.AWS_APPLY_ROLE_ARN }}",
      "aws-region": "${{ vars.AWS_REGION }}",
    });
  });

  it("refuses to deploy from anything but main", () => {
    expect(rollout.steps[0].if).toBe("github.ref != 'refs/heads/main'");
    expect(rollout.steps[0].run).toContain("exit 1");
  });

  it("shares deploy.yml's lock group for every workspace", () => {
    for (const ws of workspaceNames) {
      expect(concurrencyOf(rollout)!.group.replace("${{ inputs.workspace }}", ws)).toBe(concurrencyOf(deploy.jobs[`apply-${ws}`])!.group);
    }
  });
});

describe("supply chain and secrets", () => {
  const allUses = allJobs().flatMap(({ job }) => job.steps.map((s) => s.uses).filter((u): u is string => !!u));

  it("pins every action to a major version or a commit SHA", () => {
    expect(allUses.length).toBeGreaterThan(0);
    for (const uses of allUses) {
      expect(uses).toMatch(/^[\w.-]+\/[\w.-]+(?:\/[\w./-]+)?@(?:v\d+|[0-9a-f]{40})$/);
      expect(uses).not.toMatch(/@(?:main|master|latest)$/);
    }
  });

  it("uses the expected major versions", () => {
    const expected: Record<string, string> = {
      "actions/checkout": "v4",
      "actions/setup-node": "v4",
      "actions/upload-artifact": "v4",
      "actions/download-artifact": "v4",
      "hashicorp/setup-terraform": "v3",
      "aws-actions/configure-aws-credentials": "v4",
      "aws-actions/amazon-ecr-login": "v2",
      "docker/setup-buildx-action": "v3",
      "docker/build-push-action": "v6",
    };
    for (const uses of allUses) {
      const [action, version] = uses.split("@");
      expect(expected[action], `unexpected action ${action}`).toBeDefined();
      expect(version).toBe(expected[action]);
    }
  });

  it("holds no long-lived AWS keys and no secrets at all", () => {
    for (const [file, content] of Object.entries(text)) {
      expect(content, file).not.toMatch(/aws-access-key-id|aws-secret-access-key|aws-session-token/i);
      expect(content, file).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|AWS_SESSION_TOKEN/);
      expect(content, file).not.toMatch(/\$\{\{\s*secrets\./);
    }
  });

  it("never leaves the checkout's token in the workspace", () => {
    for (const { job } of allJobs()) {
      for (const step of usesOf(job, "actions/checkout")) {
        expect(step.with?.["persist-credentials"]).toBe(false);
      }
    }
  });

  it("passes no expression straight into a shell except the commit SHA", () => {
    for (const { job } of allJobs()) {
      for (const step of job.steps) {
        const expressions = [...(step.run ?? "").matchAll(/\$\{\{([^}]*)\}\}/g)].map((m) => m[1].trim());
        for (const expression of expressions) {
          expect(expression).toBe("github.sha");
        }
      }
    }
  });
});

describe("workflows and the GithubOidc roles agree", () => {
  // The subject GitHub gives a job once the repository's subject template is GITHUB_SUBJECT_CLAIM_KEYS:
  // its context (`environment:<name>`, `pull_request` or `ref:<ref>`), then the workflow file and the
  // ref it ran from.
  const subjectOf = (file: string, job: Job, event: string, ref: string, workspace?: string) => {
    const env = typeof job.environment === "object" ? job.environment.name : job.environment;
    const context = env ? `environment:${env.replace("${{ inputs.workspace }}", workspace ?? "")}` : event === "pull_request" ? "pull_request" : `ref:${ref}`;
    return `repo:acme-corp/platform:${context}:job_workflow_ref:acme-corp/platform/.github/workflows/${file}@${ref}`;
  };
  const built = buildApp(environments(), Testing.app().outdir);
  /** Every CI role of every account's bootstrap stack, by name (names repeat across accounts). */
  const roles = built.bootstraps.flatMap((b) =>
    Object.values(synthStack(b).json.resource.aws_iam_role).map((r) => ({ account: b.node.id, name: r.name as string, trust: JSON.parse(r.assume_role_policy) })),
  );
  const admitted = (sub: string) =>
    roles
      .filter(
        (r) =>
          decide(r.trust.Statement, "sts:AssumeRoleWithWebIdentity", "*", {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": sub,
          }) === "allow",
      )
      .map((r) => `${r.account}/${r.name}`)
      .sort();
  const accountOf = (ws: string) => `bootstrap-${built.workspaces.find((w) => w.config.name === ws)!.config.accountId}`;

  it("the PR plan job's token fits every account's plan role and no apply role", () => {
    const subject = subjectOf("ci.yml", ci.jobs.plan, "pull_request", "refs/pull/42/merge");
    expect(admitted(subject)).toEqual(built.bootstraps.map((b) => `${b.node.id}/acme-bootstrap-github-plan`).sort());
  });

  it("each apply job's token fits its own workspace's apply role only, and only from main", () => {
    for (const ws of workspaceNames) {
      const own = [`${accountOf(ws)}/acme-bootstrap-github-apply-${ws}`];
      expect(admitted(subjectOf("deploy.yml", deploy.jobs[`apply-${ws}`], "push", "refs/heads/main"))).toEqual(own);
      expect(admitted(subjectOf("image.yml", image.jobs.deploy, "workflow_dispatch", "refs/heads/main", ws))).toEqual(own);
      // The same jobs dispatched from another branch get nothing.
      expect(admitted(subjectOf("deploy.yml", deploy.jobs[`apply-${ws}`], "workflow_dispatch", "refs/heads/feature"))).toEqual([]);
      expect(admitted(subjectOf("image.yml", image.jobs.deploy, "workflow_dispatch", "refs/heads/feature", ws))).toEqual([]);
    }
  });

  it("the apply workflows the roles trust are the ones that exist", () => {
    for (const file of [...DEFAULT_APPLY_WORKFLOWS, ...DEFAULT_PLAN_WORKFLOWS, DEFAULT_FRONTEND_WORKFLOW]) expect(readdirSync(DIR)).toContain(file);
  });

  it("each frontend deploy job's token fits its own workspace's frontend role only, and only from main", () => {
    for (const ws of frontendWorkspaces) {
      const job = frontend.jobs[`deploy-${ws}`];
      expect(admitted(subjectOf("frontend.yml", job, "push", "refs/heads/main"))).toEqual([`${accountOf(ws)}/acme-bootstrap-github-frontend-${ws}`]);
      expect(admitted(subjectOf("frontend.yml", job, "workflow_dispatch", "refs/heads/feature"))).toEqual([]);
    }
  });
});

describe("frontend.yml", () => {
  it("runs on pushes to main that change the app, and by hand for one workspace", () => {
    expect(Object.keys(frontend.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(frontend.on.push).toEqual({ branches: ["main"], paths: ["frontend/**"] });
    expect([...frontend.on.workflow_dispatch.inputs.workspace.options].sort()).toEqual(frontendWorkspaces);
  });

  it("builds once with the configured command, then deploys the same artifact to dev and then prod", () => {
    expect(frontend.env).toMatchObject({ FRONTEND_DIR: "frontend", FRONTEND_BUILD_COMMAND: "npm ci && npm run build", FRONTEND_BUILD_OUTPUT: "dist" });
    expect(runs(frontend.jobs.build)).toContain('eval "$FRONTEND_BUILD_COMMAND"');
    expect(usesOidc(frontend.jobs.build)).toBe(false);
    expect(needsOf(frontend.jobs["deploy-dev"])).toEqual(["build"]);
    expect(needsOf(frontend.jobs["deploy-prod"])).toEqual(["build", "deploy-dev"]);
    expect(Object.keys(frontend.jobs).filter((j) => j.startsWith("deploy-")).sort()).toEqual(frontendWorkspaces.map((ws) => `deploy-${ws}`));
    for (const ws of frontendWorkspaces) {
      const job = frontend.jobs[`deploy-${ws}`];
      expect(job.environment).toBe(ws);
      expect(job.env?.WORKSPACE).toBe(ws);
      expect(concurrencyOf(job)).toEqual({ group: `frontend-${ws}`, "cancel-in-progress": false });
      expect(usesOf(job, "actions/download-artifact")[0].with?.name).toBe("frontend-${{ github.sha }}");
      expect(usesOf(job, "aws-actions/configure-aws-credentials")[0].with?.["role-to-assume"]).toBe("${{ vars.AWS_FRONTEND_ROLE_ARN }}");
      const deployStep = job.steps.find((s) => /npm run deploy:frontend/.test(s.run ?? ""))!;
      expect(deployStep.run).toBe('npm run deploy:frontend -- "$WORKSPACE" "$BUILD_DIR"');
      expect(deployStep.env).toMatchObject({ FRONTEND_BUCKET: "${{ vars.FRONTEND_BUCKET }}", FRONTEND_DISTRIBUTION_ID: "${{ vars.FRONTEND_DISTRIBUTION_ID }}" });
      // Credentials only after the artifact is in place, and the upload only with them.
      const index = (uses: string) => job.steps.findIndex((s) => s.uses?.startsWith(uses));
      expect(index("actions/download-artifact")).toBeLessThan(index("aws-actions/configure-aws-credentials"));
      expect(index("aws-actions/configure-aws-credentials")).toBeLessThan(job.steps.indexOf(deployStep));
    }
  });
});

describe("the frontend origin secret", () => {
  it("is read from the workspace's SSM parameter, masked, and exported before every terraform plan", () => {
    const planJobs = [ci.jobs.plan, applyJobs.dev, applyJobs.prod, image.jobs.deploy];
    for (const job of planJobs) {
      const secretStep = job.steps.findIndex((s) => s.name === "Frontend origin secret");
      expect(secretStep).toBeGreaterThan(job.steps.findIndex((s) => s.name === "terraform init"));
      expect(secretStep).toBeLessThan(stepIndex(job, /terraform plan/));
      const run = job.steps[secretStep].run!;
      expect(run).toContain('aws ssm get-parameter --with-decryption --name "/${WORKSPACE}/frontend-origin-secret"');
      expect(run).toContain('echo "::add-mask::${secret}"');
      expect(run).toContain('echo "TF_VAR_frontend_origin_secret=${secret}" >> "$GITHUB_ENV"');
      // Only where the stack declares the variable.
      expect(run).toContain("jq -e '.variable.frontend_origin_secret' cdk.tf.json");
    }
  });
});
