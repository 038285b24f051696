// Verify an Open Badges 3.0 credential as a third party would, with Digital Bazaar's
// libraries (the W3C reference implementations): both Data Integrity proofs
// (eddsa-rdfc-2022, eddsa-jcs-2022), the issuer's did:web key, and the Bitstring Status
// List the credential points at. Usage: node verify.mjs CREDENTIAL.json
// Prints {"verified": bool, "revoked": bool|null, "error": string|null} on stdout.
import {readFile} from 'node:fs/promises';
import {createRequire} from 'node:module';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {cryptosuite as rdfc} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {securityLoader} from '@digitalbazaar/security-document-loader';

const require = createRequire(import.meta.url);
const multikeyContext = require('@digitalbazaar/multikey-context');

const [credentialFile, obContextFile] = process.argv.slice(2);
const credential = JSON.parse(await readFile(credentialFile, 'utf8'));

const loader = securityLoader();
loader.addStatic(multikeyContext.CONTEXT_URL, multikeyContext.CONTEXT);
// The Open Badges context is not on the package registry: the test hands over the
// published file (the same bytes the engine keeps).
loader.addStatic(
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
  JSON.parse(await readFile(obContextFile, 'utf8')));
const staticLoader = loader.build();

// did:web resolution, as the did:web method specifies, except that the test server
// speaks plain HTTP on loopback (a deployment serves the same paths over HTTPS).
function didWebUrl(did) {
  const [host, ...path] = did.slice('did:web:'.length).split(':').map(decodeURIComponent);
  const base = `http://${host}`;
  return path.length ? `${base}/${path.join('/')}/did.json` : `${base}/.well-known/did.json`;
}

async function fetchJson(url) {
  const response = await fetch(url, {headers: {accept: 'application/json'}});
  if(!response.ok) {
    throw new Error(`GET ${url}: HTTP ${response.status}`);
  }
  return response.json();
}

async function documentLoader(url) {
  if(url.startsWith('did:web:')) {
    const [did, fragment] = url.split('#');
    const document = await fetchJson(didWebUrl(did));
    if(!fragment) {
      return {contextUrl: null, documentUrl: url, document};
    }
    const method = (document.verificationMethod || []).find(m => m.id === url);
    if(!method) {
      throw new Error(`${url} is not in the issuer's DID document`);
    }
    return {
      contextUrl: null,
      documentUrl: url,
      document: {'@context': multikeyContext.CONTEXT_URL, ...method}
    };
  }
  if(url.startsWith('http://127.0.0.1')) {
    return {contextUrl: null, documentUrl: url, document: await fetchJson(url)};
  }
  return staticLoader(url);
}

const suite = [
  new DataIntegrityProof({cryptosuite: rdfc}),
  new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()})
];

let output;
try {
  const result = await vc.verifyCredential({
    credential, suite, documentLoader, checkStatus
  });
  const statuses = result.statusResult?.results || [];
  output = {
    verified: result.verified,
    revoked: statuses.length ? statuses.some(s => s.status === true) : null,
    proofs: (result.results || []).map(r => r.proof?.cryptosuite),
    error: result.verified ? null : String(
      result.error?.errors?.[0]?.message || result.error?.message || result.error)
  };
} catch(e) {
  output = {verified: false, revoked: null, proofs: [], error: String(e.message || e)};
}
console.log(JSON.stringify(output));
